"""The complaints API: who may file and read what, by token; companies see only their own."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.complaints.schemas import ComplaintPage, ComplaintRead, FiguresRead
from tests import builders
from tests.complaints.helpers import CENTRE

NEAR = (CENTRE[0] + 0.0002, CENTRE[1])
API = "/api/v1/complaints"


def bearer(db: Session, city: City, username: str, role: Role, company: str | None = None):
    user = builders.make_user(db, city, username=username, role=role, company_slug=company)
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}


def body(**extra) -> dict:
    return {"category": "blocking_passage", "lon": CENTRE[0], "lat": CENTRE[1], **extra}


def test_a_body_files_and_reads_only_its_own(app_client: TestClient, db: Session, city: City):
    akimat = bearer(db, city, "akimat-api", Role.government)
    police = bearer(db, city, "police-api", Role.police)
    made = app_client.post(API, json=body(external_ref="AK-77"), headers=akimat)
    assert made.status_code == 201, made.text
    assert made.headers["content-type"] == "application/json"
    read = ComplaintRead.model_validate(made.json())
    assert read.source == "government" and read.status == "received"
    assert read.contact is None and read.external_ref == "AK-77"
    # The same case number again: the same complaint, not a second one.
    again = app_client.post(API, json=body(external_ref="AK-77"), headers=akimat)
    assert again.status_code == 201 and again.json()["reference"] == read.reference
    # A body cannot pretend to be another source.
    wrong = app_client.post(API, json=body(source="citizen"), headers=police)
    assert wrong.status_code == 422
    filed = app_client.post(API, json=body(), headers=police)
    assert filed.json()["source"] == "police"
    mine = ComplaintPage.model_validate(app_client.get(API, headers=akimat).json())
    assert [c.reference for c in mine.items] == [read.reference]
    assert app_client.get(f"{API}/{read.reference}", headers=police).status_code == 404
    assert app_client.get(f"{API}/{read.reference}", headers=akimat).status_code == 200
    # Outside bodies use the complaints API only.
    assert app_client.get("/api/v1/vehicles", headers=akimat).status_code == 403
    assert app_client.get("/api/v1/ops/tasks", headers=police).status_code == 403
    assert app_client.get(f"{API}/figures", headers=akimat).status_code == 403


def test_who_may_file(app_client: TestClient, db: Session, city: City):
    assert app_client.post(API, json=body()).status_code == 401
    scout = bearer(db, city, "scout-api", Role.scout)
    assert app_client.post(API, json=body(), headers=scout).status_code == 403
    viewer = bearer(db, city, "viewer-api", Role.city_viewer)
    assert app_client.post(API, json=body(), headers=viewer).status_code == 403
    lead = bearer(db, city, "lead-api", Role.supervisor)
    letter = app_client.post(
        API, json=body(source="government", contact_email="not-an-address"), headers=lead
    )
    assert letter.status_code == 422
    assert letter.json()["problems"][0]["where"] == "contact_email"
    outside = app_client.post(API, json=body(lon=71.43, lat=51.13), headers=lead)  # Astana
    assert outside.status_code == 422 and outside.json()["problems"][0]["where"] == "lon"
    ok = app_client.post(API, json=body(source="government"), headers=lead)
    assert ok.status_code == 201 and ok.json()["source"] == "government"


def test_companies_see_only_their_own_complaints_and_vehicles(
    app_client: TestClient, db: Session, city: City
):
    jet_feed = builders.make_feed(db, builders.company(db, city, "jet"))
    whoosh_feed = builders.make_feed(db, builders.company(db, city, "whoosh"))
    builders.make_vehicle(db, jet_feed, vehicle_id="JET-SECRET", lon=NEAR[0], lat=NEAR[1])
    builders.make_vehicle(db, whoosh_feed, vehicle_id="WHOOSH-7", lon=NEAR[0], lat=NEAR[1])
    lead = bearer(db, city, "lead-iso", Role.supervisor)
    jet = bearer(db, city, "rep-jet", Role.company_rep, "jet")
    whoosh = bearer(db, city, "rep-whoosh", Role.company_rep, "whoosh")
    yandex = bearer(db, city, "rep-yandex", Role.company_rep, "yandex-go")
    made = app_client.post(
        API, json=body(contact_email="citizen@example.kz", contact_consent=True), headers=lead
    ).json()
    ref = made["reference"]
    assert {v["vehicle_id"] for v in made["vehicles"]} == {"JET-SECRET", "WHOOSH-7"}
    assert made["contact"]["email"] == "citizen@example.kz"
    # Not routed yet: no company sees it.
    assert app_client.get(f"{API}/{ref}", headers=whoosh).status_code == 404
    routed = app_client.post(f"{API}/{ref}/route", json={"companies": True}, headers=lead)
    assert routed.status_code == 200, routed.text
    seen = app_client.get(f"{API}/{ref}", headers=whoosh)
    assert seen.status_code == 200
    text = seen.text
    assert "JET-SECRET" not in text and "citizen@example.kz" not in text and '"jet"' not in text
    read = ComplaintRead.model_validate(seen.json())
    assert [v.vehicle_id for v in read.vehicles] == ["WHOOSH-7"] and read.contact is None
    assert [c.company for c in read.companies] == ["whoosh"] and read.task_id is None
    assert app_client.get(f"{API}/{ref}", headers=yandex).status_code == 404
    assert ComplaintPage.model_validate(app_client.get(API, headers=yandex).json()).total == 0
    # Each company answers in its own thread; the other never reads it.
    answer = {"body": "Самокат WHOOSH-7 перемещён"}
    assert app_client.post(f"{API}/{ref}/comments", json=answer, headers=whoosh).status_code == 201
    answer = {"body": "Jet: заблокирован"}
    assert app_client.post(f"{API}/{ref}/comments", json=answer, headers=jet).status_code == 201
    jet_view = app_client.get(f"{API}/{ref}", headers=jet).text
    assert "WHOOSH" not in jet_view and "Jet: заблокирован" in jet_view
    full = ComplaintRead.model_validate(app_client.get(f"{API}/{ref}", headers=lead).json())
    assert {c.company for c in full.comments} == {"jet", "whoosh"}
    assert all(c.answered_at is not None for c in full.companies)
    # Companies cannot act as staff.
    status = {"action": "resolve", "text": "done"}
    assert app_client.post(f"{API}/{ref}/status", json=status, headers=whoosh).status_code == 403
    decide = {"action": "remove", "company": "jet"}
    assert app_client.post(f"{API}/{ref}/companies", json=decide, headers=whoosh).status_code == 403


def test_city_viewers_read_without_contact_and_see_figures(
    app_client: TestClient, db: Session, city: City
):
    lead = bearer(db, city, "lead-fig", Role.supervisor)
    viewer = bearer(db, city, "viewer-fig", Role.city_viewer)
    ref = app_client.post(
        API, json=body(contact_phone="+7 701 000 00 00", source="citizen"), headers=lead
    ).json()["reference"]
    read = app_client.get(f"{API}/{ref}", headers=viewer)
    assert read.status_code == 200 and read.json()["contact"] is None
    assert "+7 701" not in read.text
    resolve = {"action": "resolve", "text": "Убрали"}
    assert app_client.post(f"{API}/{ref}/status", json=resolve, headers=viewer).status_code == 403
    assert app_client.post(f"{API}/{ref}/status", json=resolve, headers=lead).status_code == 200
    figures = FiguresRead.model_validate(app_client.get(f"{API}/figures", headers=viewer).json())
    assert figures.total.total == 1 and figures.total.resolved == 1
    assert figures.by_source[0].key == "citizen"
    assert figures.total.median_hours is not None


def test_a_page_of_complaints_costs_the_same_queries_whatever_its_length(
    app_client: TestClient, db: Session, city: City
):
    jet_feed = builders.make_feed(db, builders.company(db, city, "jet"))
    builders.make_vehicle(db, jet_feed, vehicle_id="JET-NEAR", lon=NEAR[0], lat=NEAR[1])
    lead = bearer(db, city, "lead-page", Role.supervisor)
    engine = db.get_bind().engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    def listed(size: int) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            page = app_client.get(f"{API}?size={size}", headers=lead)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert page.status_code == 200
        assert len(page.json()["items"]) == size
        # Every complaint is read with its vehicle and company, as a single one is.
        assert all(c["vehicles"] and c["companies"] for c in page.json()["items"])
        return len(statements)

    for _ in range(8):
        made = app_client.post(API, json=body(lon=NEAR[0], lat=NEAR[1]), headers=lead)
        assert made.status_code == 201, made.text
    assert listed(2) == listed(8)
