"""API schemas of field operations: staff, shifts, tasks, work, counts, sync, damage."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from tartip.core.schemas import TartipModel
from tartip.ops.enums import (
    CoverageState,
    DamageKind,
    PhotoStage,
    SyncKind,
    SyncStatus,
    TaskKind,
    TaskOrigin,
    TaskState,
    TravelMode,
)

Lon = Field(ge=-180, le=180)
Lat = Field(ge=-90, le=90)
# Counts a scout may record for one task and one company: a clutter rarely exceeds a few dozen.
MAX_COUNT = 500
# A phone number as people type it: digits, spaces, "+", "-" and brackets (or nothing).
PHONE_PATTERN = r"^\s*(\+?[0-9][0-9 ()\-]{3,30})?\s*$"


class Position(TartipModel):
    """A WGS84 position reported by a phone."""

    lon: float = Lon
    lat: float = Lat


class TeamCreate(TartipModel):
    """A new team."""

    name: str = Field(min_length=1, max_length=200)


class TeamUpdate(TartipModel):
    """A team's new name."""

    name: str = Field(min_length=1, max_length=200)


class TeamRead(TartipModel):
    """A team."""

    id: int
    name: str


class StaffUpdate(TartipModel):
    """Changes to a person's field profile (every field optional; a null team leaves the team)."""

    team_id: int | None = None
    travel_mode: TravelMode | None = None
    phone: str | None = Field(default=None, max_length=32, pattern=PHONE_PATTERN)


class StaffRead(TartipModel):
    """A member of field staff as supervisors see them."""

    user_id: int
    username: str
    name: str
    role: str
    team_id: int | None
    travel_mode: TravelMode
    phone: str | None
    simulated: bool
    last_lon: float | None
    last_lat: float | None
    last_seen_at: datetime | None
    on_shift: bool
    checked_in: bool


class ShiftCreate(TartipModel):
    """A new shift (times are aware; the API shows them in UTC, pages in city time)."""

    user_id: int
    starts_at: datetime
    ends_at: datetime
    zone_ids: list[int] = []
    city_event_id: int | None = None
    note: str = Field(default="", max_length=2000)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2026-06-30T09:00:00+05:00")
        return value


class ShiftUpdate(TartipModel):
    """Changes to a shift (every field optional; a null ``city_event_id`` ends event duty)."""

    user_id: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    zone_ids: list[int] | None = None
    city_event_id: int | None = None
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2026-06-30T09:00:00+05:00")
        return value


class ShiftRead(TartipModel):
    """A shift with its check-in and check-out."""

    id: int
    user_id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    zone_ids: list[int]
    zone_names: list[str]
    city_event_id: int | None
    note: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    cancelled_at: datetime | None


class ShiftPage(TartipModel):
    """One page of shifts."""

    items: list[ShiftRead]
    total: int
    page: int
    size: int


class EventOption(TartipModel):
    """A mass event the roster offers for event duty (supplied by the events domain)."""

    id: int
    name: str
    starts_at: datetime
    ends_at: datetime


class CheckIn(TartipModel):
    """A check-in or check-out with where the phone was."""

    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    at: datetime | None = None


class CoverageRead(TartipModel):
    """Whether one duty zone is watched now, and by whom."""

    zone_id: int
    name: str
    code: str | None
    state: CoverageState
    scouts: list[str]
    geometry: dict[str, Any]


class ScoutLive(TartipModel):
    """A member of staff on shift as the console shows them: position and route."""

    user_id: int
    name: str
    travel_mode: TravelMode
    lon: float | None
    lat: float | None
    last_seen_at: datetime | None
    checked_in: bool
    zone_ids: list[int]
    task_ids: list[int]
    route: list[list[float]]


class ScoutRef(TartipModel):
    """A scout as others see them: an id (staff only) and a display name."""

    id: int | None
    name: str


class TaskVehicle(TartipModel):
    """A vehicle a task concerns, as the live feed showed it."""

    vehicle_id: str
    company: str | None
    lon: float | None = None
    lat: float | None = None


class TaskCreate(TartipModel):
    """A task a supervisor makes by hand."""

    kind: TaskKind
    title: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=4000)
    priority: int = Field(default=3, ge=1, le=5)
    lon: float = Lon
    lat: float = Lat
    zone_id: int | None = None
    deadline: datetime | None = None
    companies: list[str] = []
    scout_id: int | None = None


class TaskUpdate(TartipModel):
    """Changes to a task (every field optional)."""

    title: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)
    priority: int | None = Field(default=None, ge=1, le=5)
    deadline: datetime | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)


class TaskAssign(TartipModel):
    """A supervisor's assignment: to this scout (None: back to the pool), pinned or not."""

    scout_id: int | None
    pinned: bool = True


class TaskReason(TartipModel):
    """Why a task could not be done, or was cancelled."""

    reason: str = Field(min_length=1, max_length=2000)
    at: datetime | None = None


class TaskRead(TartipModel):
    """A task as the API shows it."""

    id: int
    kind: TaskKind
    origin: TaskOrigin
    state: TaskState
    title: str
    notes: str
    priority: int
    lon: float
    lat: float
    zone_id: int | None
    zone_name: str | None
    deadline: datetime | None
    violation_id: int | None
    companies: list[str]
    vehicles: list[TaskVehicle]
    scout: ScoutRef | None
    pinned: bool
    route_seq: int | None
    eta: datetime | None
    explanation: str
    outcome_reason: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    photo_ids: list[int] = []


class TaskPage(TartipModel):
    """One page of tasks."""

    items: list[TaskRead]
    total: int
    page: int
    size: int


class CompanyCount(TartipModel):
    """Vehicles of one company put in order."""

    company: str
    count: int = Field(ge=0, le=MAX_COUNT)


class TaskFinish(TartipModel):
    """Proof of work: counts per company, notes, photos already uploaded, when it was done."""

    counts: list[CompanyCount]
    notes: str = Field(default="", max_length=4000)
    photo_ids: list[int] = []
    at: datetime | None = None


class Prefill(TartipModel):
    """What the live feed shows near a task now: the counts a scout starts from."""

    radius_m: float
    counts: dict[str, int]
    companies: list[str]
    names: dict[str, str] = {}


class PhotoRead(TartipModel):
    """A stored photo (re-encoded as JPEG, EXIF removed)."""

    id: int
    task_id: int | None
    stage: PhotoStage
    content_type: str
    width: int
    height: int
    size_bytes: int
    url: str


class WorkLogRead(TartipModel):
    """Proof of one task's work."""

    id: int
    task_id: int
    scout: ScoutRef | None
    zone_id: int | None
    finished_at: datetime
    total: int
    counts: dict[str, int]
    notes: str


class WorkLogPage(TartipModel):
    """One page of work logs."""

    items: list[WorkLogRead]
    total: int
    page: int
    size: int


class CountRow(TartipModel):
    """Vehicles put in order in one period, for one group (company, zone or scout)."""

    period: str
    key: str
    label: str
    count: int


class CountsRead(TartipModel):
    """Vehicles put in order per period (in city time) and group."""

    period: Literal["day", "month"]
    group: Literal["company", "zone", "scout"]
    timezone: str
    since: date
    until: date
    rows: list[CountRow]
    total: int


class DayView(TartipModel):
    """One day's work in city time: totals per company, zone and scout."""

    day: date
    timezone: str
    total: int
    tasks_done: int
    by_company: list[CountRow]
    by_zone: list[CountRow]
    by_scout: list[CountRow]


class VehicleMatch(TartipModel):
    """What a typed or scanned code matched: a company, a vehicle in the live feed, or nothing."""

    code: str
    candidates: list[str]
    company: str | None
    vehicle_id: str | None
    lon: float | None
    lat: float | None
    status: str | None
    in_feed: bool


class DamageCreate(TartipModel):
    """A damaged vehicle reported from the spot."""

    client_id: str = Field(min_length=8, max_length=36)
    code: str = Field(min_length=1, max_length=500)
    kind: DamageKind
    description: str = Field(default="", max_length=4000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    photo_id: int | None = None


class DamageRead(TartipModel):
    """A damage report."""

    id: int
    code: str
    company: str | None
    vehicle_id: str | None
    kind: DamageKind
    description: str
    lon: float | None
    lat: float | None
    photo_id: int | None
    reported_at: datetime
    reported_by: ScoutRef | None


class SyncAction(TartipModel):
    """One action queued on a phone: its UUID, what, on which task, when, with what."""

    id: str = Field(min_length=8, max_length=36)
    kind: SyncKind
    task_id: int | None = None
    at: datetime | None = None
    payload: dict[str, Any] = {}


class SyncRequest(TartipModel):
    """A batch of queued actions, oldest first."""

    actions: list[SyncAction] = Field(max_length=200)


class SyncResult(TartipModel):
    """What the server did with one action (a replay gets the first answer again)."""

    id: str
    status: SyncStatus
    message: str = ""
    result: dict[str, Any] = {}


class SyncResponse(TartipModel):
    """The answer to a sync: one result per action, in order."""

    results: list[SyncResult]
