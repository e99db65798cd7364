"""Staff's complaint pages, the companies' portal pages, and who may open them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.complaints import matches, routing
from tartip.complaints.enums import ComplaintCategory
from tartip.complaints.schemas import RouteRequest
from tests import builders
from tests.complaints.helpers import CENTRE, csrf_of, file, scope_of

NEAR = (CENTRE[0] + 0.0002, CENTRE[1])


def test_staff_handle_a_complaint_through_the_pages(
    app_client: TestClient, db: Session, city: City
):
    jet = builders.make_feed(db, builders.company(db, city, "jet"))
    builders.make_vehicle(db, jet, vehicle_id="JET-77", lon=NEAR[0], lat=NEAR[1])
    overdue = file(db, city, email="old@example.kz", consent=True)
    overdue.due_at = overdue.received_at  # already past
    builders.make_user(db, city, username="lead-pages", role=Role.supervisor)
    builders.login(app_client, "lead-pages")
    listing = app_client.get("/complaints")
    assert listing.status_code == 200 and 'data-overdue="true"' in listing.text
    assert overdue.reference in listing.text
    detail = app_client.get(f"/complaints/{overdue.reference}")
    assert detail.status_code == 200 and "JET-77" in detail.text and "old@example.kz" in detail.text
    token = csrf_of(app_client, f"/complaints/{overdue.reference}")
    empty = app_client.post(
        f"/complaints/{overdue.reference}/status",
        data={"csrf_token": token, "action": "resolve", "text": ""},
    )
    assert empty.status_code == 422 and 'data-testid="action-error"' in empty.text
    routed = app_client.post(
        f"/complaints/{overdue.reference}/route",
        data={"csrf_token": token, "task": "on", "companies": "on"},
        follow_redirects=False,
    )
    assert routed.status_code == 303
    after = app_client.get(f"/complaints/{overdue.reference}")
    assert 'data-testid="task-id"' in after.text and 'data-routed="true"' in after.text
    for path in ("/complaints/figures", "/complaints/record", "/complaints?status=all"):
        assert app_client.get(path).status_code == 200, path
    assert app_client.get("/complaints/outbox").status_code == 403  # admins only
    recorded = app_client.post(
        "/complaints/record",
        data={
            "csrf_token": token, "source": "police", "category": "two_riders",
            "lon": str(CENTRE[0]), "lat": str(CENTRE[1]), "description": "Звонок из УП",
        },
        follow_redirects=False,
    )  # fmt: skip
    assert recorded.status_code == 303 and recorded.headers["location"].startswith("/complaints/")


def test_a_company_answers_in_its_portal(app_client: TestClient, db: Session, city: City):
    lead = scope_of(builders.make_user(db, city, username="lead-portal", role=Role.supervisor))
    complaint = file(
        db, city, category=ComplaintCategory.dangerous_riding, email="c@example.kz", consent=True
    )
    other = file(db, city, category=ComplaintCategory.other)
    matches.decide_company(
        db, scope=lead, reference=complaint.reference, action="add", company="whoosh"
    )
    routing.route(db, scope=lead, reference=complaint.reference, data=RouteRequest(companies=True))
    builders.make_user(
        db, city, username="rep-portal", role=Role.company_rep, company_slug="whoosh"
    )
    builders.login(app_client, "rep-portal")
    listing = app_client.get("/portal/complaints")
    assert listing.status_code == 200 and complaint.reference in listing.text
    assert other.reference not in listing.text
    page = app_client.get(f"/portal/complaints/{complaint.reference}")
    assert page.status_code == 200 and "c@example.kz" not in page.text
    assert app_client.get(f"/portal/complaints/{other.reference}").status_code == 404
    assert app_client.get(f"/complaints/{complaint.reference}").status_code == 403
    token = csrf_of(app_client, f"/portal/complaints/{complaint.reference}")
    sent = app_client.post(
        f"/portal/complaints/{complaint.reference}/answer",
        data={"csrf_token": token, "body": "Аккаунт пользователя заблокирован"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page = app_client.get(f"/portal/complaints/{complaint.reference}")
    assert "Аккаунт пользователя заблокирован" in page.text


def test_outside_bodies_see_their_complaints_only(app_client: TestClient, db: Session, city: City):
    akimat = builders.make_user(db, city, username="akimat-pages", role=Role.government)
    mine = file(db, city, scope=scope_of(akimat))
    theirs = file(db, city)
    builders.login(app_client, "akimat-pages")
    listing = app_client.get("/complaints?status=all")
    assert listing.status_code == 200
    assert mine.reference in listing.text and theirs.reference not in listing.text
    assert app_client.get("/map").status_code == 403
    assert app_client.get("/account").status_code == 200
