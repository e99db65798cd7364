"""The live operations dashboard: the city's picture right now, for supervisors and a wall screen.

Nothing is counted twice: each panel is read through the domain that owns it — vehicles by
company and status from ``fleet.service.summarise``, the duty-zone board from
``compliance.service.duty_board`` joined with who watches each zone (``ops.staff.coverage``), the
scooters put in order today with the same rule as ``ops.counts`` (a work log counts on the local
day it finished). What is read here directly is small and said where it is: violations open now
and opened or cleared today (a violation is open until ``closed_at``, dated when it cleared),
tasks by state, the feeds' health as the poller last wrote it.

"Today" is the city's local day (Asia/Almaty), from its midnight to now.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import City, Company
from tartip.compliance import service as compliance_service
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import to_city_time, utcnow
from tartip.feeds.enums import FeedHealth
from tartip.feeds.models import Feed
from tartip.fleet import service as fleet_service
from tartip.ops import staff as ops_staff
from tartip.ops.enums import OPEN_STATES, CoverageState, TaskState
from tartip.ops.models import Task, WorkLog, WorkLogCount
from tartip.reports.period import local_midnight

# The live dashboard is the supervisors' (and an admin's) and, to read, the city's officials
# who appointed the operator (decision 0083); companies and scouts have their own pages.
LIVE_ROLES = (Role.supervisor, Role.city_viewer)
TASK_STATES_SHOWN = (
    TaskState.new,
    TaskState.assigned,
    TaskState.accepted,
    TaskState.in_progress,
)
CLOSED_TASK_STATES = (TaskState.done, TaskState.could_not_do, TaskState.auto_closed)


@dataclass(frozen=True)
class ViolationKindRow:
    """One kind of violation: open now, opened today, cleared today."""

    kind: ViolationKind
    open: int
    opened_today: int
    cleared_today: int


@dataclass(frozen=True)
class ViolationPanel:
    """Violations now and today, by kind (only kinds with something to show)."""

    rows: tuple[ViolationKindRow, ...]

    @property
    def open(self) -> int:
        """Violations open now."""
        return sum(r.open for r in self.rows)

    @property
    def opened_today(self) -> int:
        """Violations opened since local midnight."""
        return sum(r.opened_today for r in self.rows)

    @property
    def cleared_today(self) -> int:
        """Violations cleared since local midnight."""
        return sum(r.cleared_today for r in self.rows)


@dataclass(frozen=True)
class TaskPanel:
    """Tasks by state, and the field staff on shift now."""

    open_by_state: dict[TaskState, int]
    closed_today: dict[TaskState, int]
    scouts_on_duty: int  # checked in on a shift running now
    scouts_expected: int  # a shift runs now but they have not checked in
    put_in_order_today: int
    put_in_order_by_company: tuple[tuple[Company, int], ...]

    @property
    def open(self) -> int:
        """Tasks not yet closed."""
        return sum(self.open_by_state.values())


@dataclass(frozen=True)
class DutyZoneRow:
    """One duty zone: its live load against its target, open violations, who watches it."""

    status: compliance_service.DutyZoneStatus
    coverage: CoverageState
    scouts: tuple[str, ...]


@dataclass(frozen=True)
class FeedRow:
    """One company feed's health as the poller last judged it."""

    feed_id: int
    company: Company
    protocol: str
    health: FeedHealth
    last_success_at: datetime | None
    data_updated_at: datetime | None
    vehicle_count: int | None
    consecutive_failures: int
    enabled: bool

    @property
    def ok(self) -> bool:
        """Whether the feed is usable now."""
        return self.health is FeedHealth.up


@dataclass(frozen=True)
class LiveBoard:
    """Everything the live dashboard shows, as of one moment."""

    city: City
    as_of: datetime
    day: date
    fleet: tuple[fleet_service.CompanyCounts, ...]
    violations: ViolationPanel
    tasks: TaskPanel
    duty_zones: tuple[DutyZoneRow, ...]
    feeds: tuple[FeedRow, ...]
    # The duty-zone counts, kept apart so a wall screen can show them large.
    uncovered_zones: int = 0
    over_target_zones: int = 0

    @property
    def vehicles(self) -> int:
        """Every vehicle in the companies' feeds."""
        return sum(c.total for c in self.fleet)

    @property
    def feeds_down(self) -> int:
        """Enabled feeds that are not up (down, stale, or never answered)."""
        return sum(1 for f in self.feeds if f.enabled and not f.ok)


def require_live(scope: Scope) -> None:
    """The operator's supervisors, admins and the city's officials see live operations."""
    scope.require(*LIVE_ROLES)


def today_start(city: City, now: datetime) -> tuple[date, datetime]:
    """The city's local day of ``now`` and the UTC instant of its midnight."""
    day = to_city_time(now, city.timezone).date()
    return day, local_midnight(day, city.timezone)


def live(
    db: Session, *, scope: Scope, stale_before: datetime, now: datetime | None = None
) -> LiveBoard:
    """The live picture of the caller's city as of ``now`` (default: the clock)."""
    require_live(scope)
    city = fleet_service.get_city_or_raise(db, scope=scope)
    moment = now or utcnow()
    day, midnight = today_start(city, moment)
    board = compliance_service.duty_board(db, scope=scope, at=moment)
    cover = {c.zone.id: c for c in ops_staff.coverage(db, scope=scope, at=moment)}
    zones = tuple(
        DutyZoneRow(
            status=z,
            coverage=cover[z.zone_id].state if z.zone_id in cover else CoverageState.uncovered,
            scouts=tuple(cover[z.zone_id].scouts) if z.zone_id in cover else (),
        )
        for z in board
    )
    return LiveBoard(
        city=city,
        as_of=moment,
        day=day,
        fleet=tuple(fleet_service.summarise(db, scope=scope, stale_before=stale_before)),
        violations=violation_panel(db, city_id=city.id, since=midnight, now=moment),
        tasks=task_panel(db, scope=scope, since=midnight, now=moment),
        duty_zones=zones,
        feeds=tuple(feed_rows(db, city_id=city.id)),
        uncovered_zones=sum(1 for z in zones if z.coverage is CoverageState.uncovered),
        over_target_zones=sum(1 for z in zones if z.status.over_target),
    )


def violation_panel(db: Session, *, city_id: int, since: datetime, now: datetime) -> ViolationPanel:
    """Violations open at ``now``, and opened or cleared in ``[since, now]``, by kind."""
    v = Violation
    opened = Counter[str]()
    still_open = Counter[str]()
    cleared = Counter[str]()
    stmt = (
        select(v.kind, func.count())
        .where(v.city_id == city_id, v.closed_at.is_(None), v.opened_at <= now)
        .group_by(v.kind)
    )
    still_open.update({str(k): int(n) for k, n in db.execute(stmt)})
    stmt = (
        select(v.kind, func.count())
        .where(v.city_id == city_id, v.opened_at >= since, v.opened_at <= now)
        .group_by(v.kind)
    )
    opened.update({str(k): int(n) for k, n in db.execute(stmt)})
    stmt = (
        select(v.kind, func.count())
        .where(v.city_id == city_id, v.closed_at >= since, v.closed_at <= now)
        .group_by(v.kind)
    )
    cleared.update({str(k): int(n) for k, n in db.execute(stmt)})
    rows = tuple(
        ViolationKindRow(kind, still_open[kind], opened[kind], cleared[kind])
        for kind in ViolationKind
        if still_open[kind] or opened[kind] or cleared[kind]
    )
    return ViolationPanel(rows)


def task_panel(db: Session, *, scope: Scope, since: datetime, now: datetime) -> TaskPanel:
    """Open tasks by state, tasks closed today, staff on shift, scooters put in order today."""
    t = Task
    open_states = [s.value for s in OPEN_STATES]
    by_state = dict.fromkeys(TASK_STATES_SHOWN, 0)
    stmt = (
        select(t.state, func.count())
        .where(t.city_id == scope.city_id, t.state.in_(open_states))
        .group_by(t.state)
    )
    for state, n in db.execute(stmt):
        by_state[TaskState(state)] = int(n)
    closed = dict.fromkeys(CLOSED_TASK_STATES, 0)
    stmt = (
        select(t.state, func.count())
        .where(
            t.city_id == scope.city_id,
            t.state.in_([s.value for s in CLOSED_TASK_STATES]),
            t.closed_at >= since,
            t.closed_at <= now,
        )
        .group_by(t.state)
    )
    for state, n in db.execute(stmt):
        closed[TaskState(state)] = int(n)
    shifts = ops_staff.current_shifts(db, city_id=scope.city_id, at=now)
    on_duty = {
        s.user_id for s in shifts if s.checked_in_at is not None and s.checked_out_at is None
    }
    expected = {s.user_id for s in shifts} - on_duty
    by_company = put_in_order(db, city_id=scope.city_id, since=since, until=now)
    return TaskPanel(
        open_by_state=by_state,
        closed_today=closed,
        scouts_on_duty=len(on_duty),
        scouts_expected=len(expected),
        put_in_order_today=sum(n for _c, n in by_company),
        put_in_order_by_company=tuple(by_company),
    )


def put_in_order(
    db: Session, *, city_id: int, since: datetime, until: datetime
) -> list[tuple[Company, int]]:
    """Scooters put in order from work logs finished in ``[since, until]``, per company."""
    stmt = (
        select(WorkLogCount.company_id, func.sum(WorkLogCount.count))
        .join(WorkLog, WorkLog.id == WorkLogCount.work_log_id)
        .where(
            WorkLog.city_id == city_id, WorkLog.finished_at >= since, WorkLog.finished_at <= until
        )
        .group_by(WorkLogCount.company_id)
    )
    counts = {int(c): int(n or 0) for c, n in db.execute(stmt)}
    companies = cities_service.list_companies(db, city_id=city_id)
    return [(c, counts[c.id]) for c in companies if c.id in counts]


def feed_rows(db: Session, *, city_id: int) -> list[FeedRow]:
    """Each feed of the city with its health (never its credentials)."""
    stmt = (
        select(Feed, Company)
        .join(Company, Company.id == Feed.company_id)
        .where(Feed.city_id == city_id)
        .order_by(Company.name, Feed.id)
    )
    return [
        FeedRow(
            feed_id=f.id,
            company=c,
            protocol=str(f.protocol),
            health=FeedHealth(f.health),
            last_success_at=f.last_success_at,
            data_updated_at=f.data_updated_at,
            vehicle_count=f.vehicle_count,
            consecutive_failures=f.consecutive_failures,
            enabled=f.enabled,
        )
        for f, c in db.execute(stmt)
    ]
