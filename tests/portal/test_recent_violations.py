"""Violations closed lately, chosen in SQL: right for a company with more than a page of them.

The portal lists a company's violations closed in the last ``RECENT_DAYS`` days beside the open
ones. Long-lasting violations closed lately are opened *before* short ones closed long ago, so a
first page of closed violations (newest opened first) may hold none of the recent ones: the
"closed since" condition belongs in the query, and the violations API takes it as
``closed_since``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from tartip.app import API_PREFIX
from tartip.auth import service as auth_service
from tartip.auth.scope import Scope
from tartip.cities.models import Company
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.compliance.schemas import ViolationFeatureCollection
from tartip.core.clock import utcnow
from tartip.portal import service
from tests import builders
from tests.portal.conftest import LAT, LON, World


def _rows(
    company: Company, tag: str, spans: list[tuple[datetime, datetime]]
) -> list[dict[str, Any]]:
    """Closed violations of ``company``, one for each (opened, closed), as bulk-insert rows."""
    return [
        {
            "city_id": company.city_id,
            "kind": ViolationKind.no_parking.value,
            "key": f"bulk:{tag}:{i}",
            "open_key": None,
            "company_id": company.id,
            "count": 1,
            "max_count": 1,
            "lon": LON,
            "lat": LAT,
            "vehicles": [],
            "evidence": {"zone_name": f"{tag} corner {i}", "vehicles_total": 1},
            "first_seen_at": opened,
            "opened_at": opened,
            "last_seen_at": closed,
            "closed_at": closed,
        }
        for i, (opened, closed) in enumerate(spans)
    ]


def _insert(db: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many violations in one statement; their ids, in order."""
    stmt = insert(Violation).returning(Violation.id, sort_by_parameter_order=True)
    return list(db.scalars(stmt, rows))


def _seed(db: Session, world: World, now: datetime, *, old: int, recent: int) -> list[int]:
    """``old`` of Jet's violations closed long ago but opened lately, ``recent`` closed lately
    after lasting weeks, and as many of Whoosh's closed lately; Jet's recent ids, newest first.
    """
    long_ago = [
        (now - timedelta(days=9, minutes=i), now - timedelta(days=8, minutes=i)) for i in range(old)
    ]
    # Opened three weeks ago (an hour apart), closed within the last days; the last one closed
    # a minute inside the 7 days.
    lasting = [
        (now - timedelta(days=21, hours=i), now - timedelta(days=6, hours=23 - i % 23))
        for i in range(recent - 1)
    ]
    lasting.append((now - timedelta(days=21, hours=recent), now - timedelta(days=7, minutes=-1)))
    _insert(db, _rows(world.own.company, "jet-old", long_ago))
    # Closed a minute before the 7 days: not recent.
    edge = (now - timedelta(days=30), now - timedelta(days=7, minutes=1))
    _insert(db, _rows(world.own.company, "jet-edge", [edge]))
    _insert(db, _rows(world.rival.company, "RIVAL-W", lasting))
    ids = _insert(db, _rows(world.own.company, "jet-recent", lasting))
    return ids  # opened an hour apart, newest first


def _rep_scope(world: World) -> Scope:
    return auth_service.scope_for(world.own.rep, default_city_id=world.city.id)


def test_recent_violations_are_exactly_the_companys_closed_in_7_days_beyond_a_page(
    db: Session, world: World
):
    now = utcnow()
    recent_ids = _seed(db, world, now, old=12, recent=7)
    # The world's own violation closed a day ago is recent too; it was opened 2 days ago.
    expected = [world.own.closed[0].id, *recent_ids]

    found = service.violations(db, scope=_rep_scope(world), now=now, limit=10)
    assert [r.violation.id for r in found.recent.rows] == expected
    assert found.recent.total == len(expected) == 8
    assert {r.violation.company_id for r in found.recent.rows} == {world.own.company.id}
    assert found.open.total == 2

    # More recent ones than a page: the page holds the newest, the count holds them all.
    page = service.violations(db, scope=_rep_scope(world), now=now, limit=3)
    assert [r.violation.id for r in page.recent.rows] == expected[:3]
    assert page.recent.total == 8

    # A kind asked for narrows both lists.
    ride = service.violations(db, scope=_rep_scope(world), now=now, kind=ViolationKind.no_ride)
    assert [r.violation.id for r in ride.recent.rows] == [world.own.closed[0].id]


def test_the_portal_violations_page_counts_recent_ones_past_the_first_page(
    app_client: TestClient, db: Session, world: World
):
    now = utcnow()
    recent_ids = _seed(db, world, now, old=210, recent=4)  # more than the page's 200 rows
    builders.login(app_client, "rep-jet")
    html = app_client.get("/portal/violations").text
    assert re.search(r'data-testid="recent-total">5<', html)
    table = html.split('data-testid="recent-violations"', 1)[1].split("</table>", 1)[0]
    shown = [int(i) for i in re.findall(r'data-testid="violation-(\d+)"', table)]
    assert shown == [world.own.closed[0].id, *recent_ids]
    assert "RIVAL-W" not in html


def test_the_violations_api_filters_by_closed_since(
    app_client: TestClient, db: Session, world: World
):
    now = utcnow()
    recent_ids = _seed(db, world, now, old=5, recent=3)
    token = {"Authorization": f"Bearer {builders.token_for(db, world.own.rep)}"}
    since = (now - timedelta(days=7)).isoformat()
    answer = app_client.get(
        f"{API_PREFIX}/violations", params={"closed_since": since, "size": 2}, headers=token
    )
    assert answer.status_code == 200, answer.text
    body = ViolationFeatureCollection.model_validate(answer.json())
    expected = [world.own.closed[0].id, *recent_ids]
    assert body.total == len(expected) and [f.id for f in body.features] == expected[:2]
    everything = app_client.get(
        f"{API_PREFIX}/violations",
        params={"closed_since": since, "state": "all", "size": 100},
        headers=token,
    ).json()
    assert [f["id"] for f in everything["features"]] == expected
    # The same moment in city time (+05:00) selects the same violations.
    almaty = (now - timedelta(days=7)).astimezone(timezone(timedelta(hours=5))).isoformat()
    same = app_client.get(
        f"{API_PREFIX}/violations", params={"closed_since": almaty}, headers=token
    ).json()
    assert same["total"] == len(expected)


def test_a_bad_closed_since_on_the_violations_api_is_a_clear_422(
    app_client: TestClient, db: Session, world: World
):
    token = {"Authorization": f"Bearer {builders.token_for(db, world.own.rep)}"}
    url = f"{API_PREFIX}/violations"
    for value, words in (
        ("last week", "valid datetime"),
        ("2026-11-01T10:00:00", "timezone"),  # no offset: which moment is meant?
    ):
        answer = app_client.get(url, params={"closed_since": value}, headers=token)
        assert answer.status_code == 422, value
        body = answer.json()
        assert body["code"] == "invalid_input"
        (problem,) = body["problems"]
        assert problem["where"] == "query.closed_since" and words in problem["message"], body
    clash = app_client.get(
        url, params={"closed_since": "2026-11-01T10:00:00+05:00", "state": "open"}, headers=token
    )
    assert clash.status_code == 422 and clash.json()["code"] == "invalid_input"
    assert clash.json()["problems"][0]["where"] == "query.state"
