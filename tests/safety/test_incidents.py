"""Incidents over HTTP on both databases: who may send and see them, idempotent intake, counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.safety import service as safety_service
from tartip.safety.schemas import IncidentPage, IncidentRead, MonthCountRead
from tests import builders

API = "/api/v1/safety"


def bearer(
    db: Session, city: City, username: str, role: Role, company: str | None = None
) -> dict[str, str]:
    user = builders.make_user(db, city, username=username, role=role, company_slug=company)
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}


def body(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "collision",
        "severity": "minor",
        "occurred_at": (utcnow() - timedelta(hours=2)).isoformat(),
        "lon": 76.945,
        "lat": 43.238,
        "injured": 1,
    }
    return {**base, **fields}


def test_staff_police_and_company_send_incidents_each_under_their_own_source(
    app_client: TestClient, db: Session, city: City
):
    boss = bearer(db, city, "boss", Role.supervisor)
    police = bearer(db, city, "gai", Role.police)
    jet = bearer(db, city, "jet-rep", Role.company_rep, "jet")

    staff = app_client.post(f"{API}/incidents", json=body(company="whoosh"), headers=boss)
    assert staff.status_code == 201, staff.text
    assert IncidentRead.model_validate(staff.json()).source == "staff"
    assert staff.json()["company"] == "whoosh"

    first = app_client.post(f"{API}/incidents", json=body(external_ref="P-17"), headers=police)
    again = app_client.post(f"{API}/incidents", json=body(external_ref="P-17"), headers=police)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["source"] == "police"

    own = app_client.post(f"{API}/incidents", json=body(kind="fall"), headers=jet)
    assert own.status_code == 201 and own.json()["company"] == "jet"
    assert own.json()["source"] == "company"
    other = app_client.post(f"{API}/incidents", json=body(company="whoosh"), headers=jet)
    assert other.status_code == 403

    # Who sees what: the office all three, the police what they sent, Jet its own.
    seen = {
        who: IncidentPage.model_validate(app_client.get(f"{API}/incidents", headers=h).json())
        for who, h in (("boss", boss), ("police", police), ("jet", jet))
    }
    assert seen["boss"].total == 3
    assert [i.id for i in seen["police"].items] == [first.json()["id"]]
    assert [i.id for i in seen["jet"].items] == [own.json()["id"]]
    assert app_client.get(f"{API}/incidents/{staff.json()['id']}", headers=jet).status_code == 404
    # The police reach the incidents path only, not the map or anything else.
    assert app_client.get(f"{API}/map", headers=police).status_code == 403
    entries = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "incident")).all()
    assert sorted(e.action for e in entries) == ["safety.incident.create"] * 3


def test_refusals_say_what_was_wrong(app_client: TestClient, db: Session, city: City):
    boss = bearer(db, city, "boss", Role.supervisor)
    future = (utcnow() + timedelta(hours=3)).isoformat()
    answer = app_client.post(f"{API}/incidents", json=body(occurred_at=future), headers=boss)
    assert answer.status_code == 422 and "future" in answer.json()["message"]
    answer = app_client.post(f"{API}/incidents", json=body(company="nobody"), headers=boss)
    assert answer.status_code == 422 and "nobody" in answer.json()["message"]
    answer = app_client.post(f"{API}/incidents", json=body(kind="explosion"), headers=boss)
    assert answer.status_code == 422
    gov = bearer(db, city, "akimat", Role.government)
    assert app_client.post(f"{API}/incidents", json=body(), headers=gov).status_code == 403
    viewer = bearer(db, city, "city", Role.city_viewer)
    assert app_client.post(f"{API}/incidents", json=body(), headers=viewer).status_code == 403


def test_a_supervisor_corrects_an_incident_and_the_change_is_audited(
    app_client: TestClient, db: Session, city: City
):
    boss = bearer(db, city, "boss", Role.supervisor)
    scout = bearer(db, city, "scout", Role.scout)
    made = app_client.post(f"{API}/incidents", json=body(), headers=scout).json()
    change = {"severity": "serious", "company": "yandex-go"}
    refused = app_client.patch(f"{API}/incidents/{made['id']}", json=change, headers=scout)
    assert refused.status_code == 403
    fixed = app_client.patch(f"{API}/incidents/{made['id']}", json=change, headers=boss)
    assert fixed.status_code == 200
    assert (fixed.json()["severity"], fixed.json()["company"]) == ("serious", "yandex-go")
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "safety.incident.update")
    ).one()
    assert entry.before == {"severity": "minor", "company_id": None}
    assert entry.after is not None and entry.after["severity"] == "serious"


def test_counts_by_month_follow_city_time(app_client: TestClient, db: Session, city: City):
    boss = bearer(db, city, "boss", Role.supervisor)
    moments = [
        # 31 May 19:30 UTC is 1 June 00:30 in Almaty (UTC+5): a June incident.
        (datetime(2026, 5, 31, 19, 30, tzinfo=UTC), "collision", "serious", 2),
        (datetime(2026, 5, 31, 18, 59, tzinfo=UTC), "fall", "minor", 1),  # 23:59 on 31 May
        (datetime(2026, 6, 15, 8, 0, tzinfo=UTC), "near_miss", "none", 0),
        (datetime(2026, 7, 1, 10, 0, tzinfo=UTC), "collision", "fatal", 1),
    ]
    for at, kind, severity, injured in moments:
        sent = body(occurred_at=at.isoformat(), kind=kind, severity=severity, injured=injured)
        assert app_client.post(f"{API}/incidents", json=sent, headers=boss).status_code == 201
    answer = app_client.get(f"{API}/counts?from=2026-04-10&to=2026-06-30", headers=boss)
    assert answer.status_code == 200
    counts = [MonthCountRead.model_validate(c) for c in answer.json()]
    assert [(c.month, c.total, c.injured) for c in counts] == [
        ("2026-04", 0, 0),
        ("2026-05", 1, 1),
        ("2026-06", 2, 2),
    ]
    june = counts[2]
    assert june.by_kind == {"collision": 1, "near_miss": 1}
    assert june.by_severity == {"serious": 1, "none": 1}
    listed = app_client.get(f"{API}/incidents?from=2026-06-01&to=2026-06-30", headers=boss)
    assert listed.json()["total"] == 2
    july = safety_service.counts_by_month(
        db, scope=office_scope(db, city), first=date(2026, 7, 1), last=date(2026, 7, 31)
    )
    assert [(c.month, c.total, dict(c.by_severity)) for c in july] == [("2026-07", 1, {"fatal": 1})]


def office_scope(db: Session, city: City) -> Scope:
    user = builders.make_user(db, city, username="office", role=Role.supervisor)
    return auth_service.scope_for(user, default_city_id=city.id)
