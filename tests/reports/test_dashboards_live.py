"""The live operations dashboard against a hand-counted city, on both databases.

"Now" is 10 June 2026, 10:00 in Almaty (05:00 UTC); local midnight was 9 June, 19:00 UTC.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from shapely.geometry import Polygon
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.errors import Forbidden
from tartip.feeds.enums import FeedHealth
from tartip.fleet.enums import VehicleStatus
from tartip.ops.enums import CoverageState, TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Shift, Task, WorkLog
from tartip.reports import dashboards
from tartip.reports.dashboards_schemas import LiveRead
from tartip.zones.enums import ZoneKind
from tests import builders
from tests.compliance.conftest import publish_zone
from tests.reports import helpers

NOW = datetime(2026, 6, 10, 5, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 6, 9, 19, 0, tzinfo=UTC)  # 10 June 00:00 in Almaty
ZONE_LON, ZONE_LAT = 76.95, 43.24
OUT_LON, OUT_LAT = 76.90, 43.26


def local(hours: float) -> datetime:
    """A moment ``hours`` after local midnight of 10 June (negative: the evening before)."""
    return MIDNIGHT + timedelta(hours=hours)


def scope_of(user: User) -> Scope:
    """The scope ``user`` acts in."""
    assert user.city_id is not None
    return Scope(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        city_id=user.city_id,
        company_id=user.company_id,
    )


def violation(
    db: Session,
    city: City,
    kind: ViolationKind,
    opened: datetime,
    *,
    closed: datetime | None = None,
    lon: float = OUT_LON,
    lat: float = OUT_LAT,
) -> None:
    """A violation at a place, opened and maybe closed."""
    db.add(
        Violation(
            city_id=city.id,
            kind=kind,
            key=f"{kind.value}:{opened.isoformat()}:{lon}",
            open_key=None if closed else f"{kind.value}:{opened.isoformat()}:{lon}",
            lon=lon,
            lat=lat,
            opened_at=opened,
            last_seen_at=closed or opened,
            cleared_at=closed,
            closed_at=closed,
        )
    )
    db.flush()


def task(db: Session, city: City, state: TaskState, *, closed: datetime | None = None) -> None:
    """A task in ``state`` (closed at ``closed``)."""
    db.add(
        Task(
            city_id=city.id,
            kind=TaskKind.tidy_cluster,
            origin=TaskOrigin.manual,
            state=state,
            lon=OUT_LON,
            lat=OUT_LAT,
            closed_at=closed,
        )
    )
    db.flush()


def shift(
    db: Session, city: City, user: User, zone_ids: list[int], *, checked_in: bool, starts: float
) -> None:
    """A shift of ``user`` from ``starts`` hours after midnight, eight hours long."""
    db.add(
        Shift(
            city_id=city.id,
            user_id=user.id,
            starts_at=local(starts),
            ends_at=local(starts + 8),
            zone_ids=zone_ids,
            checked_in_at=local(starts) if checked_in else None,
        )
    )
    db.flush()


@pytest.fixture
def seeded(db: Session, city: City) -> dict[str, object]:
    """The hand-counted city (counts in the test below)."""
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    jet_feed, whoosh_feed = builders.make_feed(db, jet), builders.make_feed(db, whoosh)
    jet_feed.health, jet_feed.vehicle_count = FeedHealth.up, 3
    whoosh_feed.health, whoosh_feed.consecutive_failures = FeedHealth.down, 3
    seen = NOW - timedelta(minutes=1)
    # Jet: two available in the duty zone, one disabled outside it; one that left its feed.
    for status, lon, lat in (
        (VehicleStatus.available, ZONE_LON, ZONE_LAT),
        (VehicleStatus.available, ZONE_LON + 0.0001, ZONE_LAT),
        (VehicleStatus.disabled, OUT_LON, OUT_LAT),
    ):
        builders.make_vehicle(db, jet_feed, lon=lon, lat=lat, status=status, seen_at=seen)
    builders.make_vehicle(db, jet_feed, lon=OUT_LON, lat=OUT_LAT, in_feed=False, seen_at=seen)
    # Whoosh: one reserved, one stale (flagged by the ingest).
    builders.make_vehicle(
        db, whoosh_feed, lon=OUT_LON, lat=OUT_LAT, status=VehicleStatus.reserved, seen_at=seen
    )
    builders.make_vehicle(db, whoosh_feed, lon=OUT_LON, lat=OUT_LAT, is_stale=True, seen_at=seen)

    # Violations: clutter open since last night (in the duty zone); clutter opened and cleared
    # today; no-parking opened today and open; no-parking opened and cleared yesterday;
    # no-parking from two days ago cleared ten minutes after midnight.
    violation(db, city, ViolationKind.clutter, local(-0.5), lon=ZONE_LON, lat=ZONE_LAT)
    violation(db, city, ViolationKind.clutter, local(0.5), closed=local(2))
    violation(db, city, ViolationKind.no_parking, local(9))
    violation(db, city, ViolationKind.no_parking, local(-4), closed=local(-0.01))
    violation(db, city, ViolationKind.no_parking, local(-48), closed=local(1 / 6))

    for state in (TaskState.new, TaskState.new, TaskState.assigned, TaskState.in_progress):
        task(db, city, state)
    task(db, city, TaskState.done, closed=local(8))
    task(db, city, TaskState.done, closed=local(-1))
    # A task spanning midnight counts the day it finished: 5 + 2 today, 4 yesterday.
    helpers.put_in_order(db, {jet: 5, whoosh: 2}, local(0.25))
    helpers.put_in_order(db, {jet: 4}, local(-0.2))
    for log in db.scalars(select(WorkLog)):  # their tasks were done when the work finished
        done = db.get(Task, log.task_id)
        assert done is not None
        done.state, done.closed_at = TaskState.done, log.finished_at
    db.flush()

    zone = publish_zone(
        db,
        city,
        ZoneKind.duty,
        Polygon.from_bounds(ZONE_LON - 0.002, ZONE_LAT - 0.002, ZONE_LON + 0.002, ZONE_LAT + 0.002),
        at=NOW - timedelta(days=2),
        name="Arbat",
        target_load=1,
    )
    quiet = publish_zone(
        db,
        city,
        ZoneKind.duty,
        Polygon.from_bounds(76.80, 43.20, 76.81, 43.21),
        at=NOW - timedelta(days=2),
        name="Quiet",
        target_load=10,
    )
    on_duty = builders.make_user(db, city, username="scout-on", role=Role.scout)
    late = builders.make_user(db, city, username="scout-late", role=Role.scout)
    later = builders.make_user(db, city, username="scout-later", role=Role.scout)
    shift(db, city, on_duty, [zone.id], checked_in=True, starts=8)
    shift(db, city, late, [zone.id], checked_in=False, starts=9)
    shift(db, city, later, [quiet.id], checked_in=False, starts=14)
    supervisor = builders.make_user(db, city, username="super", role=Role.supervisor)
    return {"jet": jet, "whoosh": whoosh, "zone": zone, "quiet": quiet, "supervisor": supervisor}


def test_the_live_board_shows_the_hand_counted_city(db: Session, seeded: dict[str, object]):
    supervisor = seeded["supervisor"]
    assert isinstance(supervisor, User)
    board = dashboards.live(
        db, scope=scope_of(supervisor), stale_before=NOW - timedelta(hours=1), now=NOW
    )
    assert board.day.isoformat() == "2026-06-10"
    fleet = {c.company.slug: c for c in board.fleet}
    assert fleet["jet"].by_status == {
        VehicleStatus.available: 2,
        VehicleStatus.reserved: 0,
        VehicleStatus.disabled: 1,
    }
    assert (fleet["whoosh"].total, fleet["whoosh"].stale) == (2, 1)
    assert fleet["yandex-go"].total == 0
    assert board.vehicles == 5

    kinds = {r.kind: (r.open, r.opened_today, r.cleared_today) for r in board.violations.rows}
    assert kinds == {ViolationKind.clutter: (1, 1, 1), ViolationKind.no_parking: (1, 1, 1)}
    assert (board.violations.open, board.violations.opened_today) == (2, 2)
    assert board.violations.cleared_today == 2

    tasks = board.tasks
    assert tasks.open_by_state == {
        TaskState.new: 2,
        TaskState.assigned: 1,
        TaskState.accepted: 0,
        TaskState.in_progress: 1,
    }
    assert tasks.open == 4
    assert tasks.closed_today[TaskState.done] == 2  # 08:00, and the work finished at 00:15
    assert (tasks.scouts_on_duty, tasks.scouts_expected) == (1, 1)
    assert tasks.put_in_order_today == 7
    assert {c.slug: n for c, n in tasks.put_in_order_by_company} == {"jet": 5, "whoosh": 2}

    zones = {z.status.name: z for z in board.duty_zones}
    arbat = zones["Arbat"]
    assert (arbat.status.load, arbat.status.over_target, arbat.status.open_violations) == (
        2,
        True,
        1,
    )
    assert arbat.coverage is CoverageState.covered
    assert arbat.scouts == ("scout-on",)
    assert zones["Quiet"].coverage is CoverageState.uncovered  # its shift starts at 14:00
    assert (board.uncovered_zones, board.over_target_zones) == (1, 1)

    feeds = {f.company.slug: f for f in board.feeds}
    assert feeds["jet"].health is FeedHealth.up and feeds["whoosh"].health is FeedHealth.down
    assert board.feeds_down == 1


@pytest.mark.parametrize("role", [Role.company_rep, Role.scout, Role.government])
def test_only_the_operator_and_the_city_see_the_live_board(db: Session, city: City, role: Role):
    slug = "jet" if role is Role.company_rep else None
    user = builders.make_user(db, city, username=f"u-{role.value}", role=role, company_slug=slug)
    with pytest.raises(Forbidden):
        dashboards.live(db, scope=scope_of(user), stale_before=NOW, now=NOW)


def test_the_api_and_the_page_show_the_board(
    app_client: TestClient, db: Session, seeded: dict[str, object]
):
    builders.login(app_client, "super")
    response = app_client.get("/api/v1/dashboards/live")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = LiveRead.model_validate(response.json())
    # No day boundary in these: they hold whenever the test runs.
    assert body.vehicles == 5
    assert {f.company: f.total for f in body.fleet} == {"jet": 3, "whoosh": 2, "yandex-go": 0}
    assert body.violations.open == 2
    assert body.tasks.open == 4
    assert body.feeds_down == 1
    assert "auth_secret" not in response.text and "url" not in response.json()["feeds"][0]

    page = app_client.get("/dashboards/live")
    assert page.status_code == 200
    assert 'data-testid="live-panel"' in page.text and 'hx-trigger="every 30s"' in page.text
    panel = app_client.get("/dashboards/live/panel?wall=true")
    assert panel.status_code == 200
    assert panel.text.lstrip().startswith('<div class="live-panel"')
    assert "<html" not in panel.text


def test_a_polling_wall_screen_is_never_signed_out_by_age(
    app_client: TestClient, seeded: dict[str, object]
):
    builders.login(app_client, "super")
    wall = app_client.get("/dashboards/wall?every=15")
    assert wall.status_code == 200
    assert 'hx-trigger="every 15s"' in wall.text and 'data-testid="wall-page"' in wall.text
    assert 'class="topbar"' not in wall.text
    # Every poll's answer signs the session anew, so its age restarts at each poll.
    first = app_client.get("/dashboards/live/panel?wall=true")
    assert "tartip_session=" in first.headers.get("set-cookie", "")
    assert "Max-Age=" in first.headers["set-cookie"]


def test_the_session_slides_with_the_polls_and_an_idle_one_expires(
    app_client: TestClient, seeded: dict[str, object], monkeypatch: pytest.MonkeyPatch
):
    builders.login(app_client, "super")
    signed_in = int(time.time())
    hours = 3600

    def clock_at(offset_s: int) -> None:
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: signed_in + offset_s)

    # The session lasts 12 hours: polls at 11 h and 22 h keep it; 13 h after the last poll it
    # has expired like any idle session.
    clock_at(11 * hours)
    assert app_client.get("/dashboards/live/panel").status_code == 200
    clock_at(22 * hours)
    assert app_client.get("/dashboards/live/panel").status_code == 200
    clock_at(35 * hours)
    assert app_client.get("/dashboards/live/panel", headers={"Accept": "*/*"}).status_code == 401


def test_a_poll_without_a_session_is_refused_without_a_login_page(app_client: TestClient):
    # htmx asks with Accept */*: the answer is a 401, which the screen keeps its picture on.
    response = app_client.get("/dashboards/live/panel", headers={"Accept": "*/*"})
    assert response.status_code == 401
    assert 'data-testid="live-panel"' not in response.text


def test_a_company_representative_gets_no_live_board(
    app_client: TestClient, db: Session, city: City
):
    rep = builders.make_user(db, city, username="rep", role=Role.company_rep, company_slug="jet")
    token = builders.token_for(db, rep)
    response = app_client.get(
        "/api/v1/dashboards/live", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403


def test_a_city_official_reads_the_live_board(db: Session, city: City):
    official = builders.make_user(db, city, username="official", role=Role.city_viewer)
    board = dashboards.live(db, scope=scope_of(official), stale_before=NOW, now=NOW)
    assert board.feeds_down >= 0 and board.tasks.open >= 0
