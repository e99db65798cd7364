"""The JSON API of field operations: tasks, the scout's own work, sync, proof of work, counts.

Staff and shifts live in ``api_staff.py`` and are mounted here, so the ops domain has one router.
Handlers are thin: one service call, then a schema built by ``present``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import FileResponse

from tartip.cities import service as cities_service
from tartip.core.errors import Forbidden, NotFound
from tartip.deps import (
    CurrentScope,
    DbSession,
    Paging,
    SettingsDep,
    UploadRoute,
    photo_limits,
    photo_response,
)
from tartip.ops import api_staff, counts, present, vehicles, work
from tartip.ops import service as tasks_service
from tartip.ops import sync as sync_service
from tartip.ops.enums import PhotoStage, TaskAction, TaskKind, TaskState
from tartip.ops.schemas import (
    CountRow,
    CountsRead,
    DamageCreate,
    DamageRead,
    DayView,
    PhotoRead,
    Prefill,
    SyncRequest,
    SyncResponse,
    TaskAssign,
    TaskCreate,
    TaskFinish,
    TaskPage,
    TaskRead,
    TaskReason,
    TaskUpdate,
    VehicleMatch,
    WorkLogPage,
    WorkLogRead,
)

# UploadRoute: an upload over Settings.upload_max_bytes is refused (413) before it is read.
router = APIRouter(tags=["ops"], responses=api_staff.router.responses, route_class=UploadRoute)
router.include_router(api_staff.router)


def get_task_filter(
    state: Annotated[list[TaskState] | None, Query(description="States; repeatable")] = None,
    kind: Annotated[list[TaskKind] | None, Query(description="Kinds; repeatable")] = None,
    scout_id: Annotated[int | None, Query(description="Assigned to this person")] = None,
    zone_id: Annotated[int | None, Query(description="In this zone")] = None,
    company: Annotated[list[str] | None, Query(description="Company slugs; repeatable")] = None,
    open_only: Annotated[bool, Query(description="Only tasks still to do")] = False,
) -> tasks_service.TaskFilter:
    """The task filters of a request."""
    return tasks_service.TaskFilter(
        states=tuple(state or ()),
        kinds=tuple(kind or ()),
        scout_id=scout_id,
        zone_id=zone_id,
        companies=tuple(company or ()),
        open_only=open_only,
    )


Filters = Annotated[tasks_service.TaskFilter, Depends(get_task_filter)]


def get_timezone(db: DbSession, scope: CurrentScope) -> str:
    """The caller's city's time zone."""
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound("no such city")
    return city.timezone


CityTimezone = Annotated[str, Depends(get_timezone)]


@router.get("/ops/tasks", response_model=TaskPage)
def list_tasks(db: DbSession, scope: CurrentScope, paging: Paging, filters: Filters) -> TaskPage:
    """Tasks in the caller's scope (a scout: their own), most urgent first."""
    found, total = tasks_service.list_tasks(
        db, scope=scope, filters=filters, offset=paging.offset, limit=paging.size
    )
    items = present.task_reads(db, scope=scope, tasks=found)
    return TaskPage(items=items, total=total, page=paging.page, size=paging.size)


@router.post("/ops/tasks", response_model=TaskRead, status_code=201)
def create_task(db: DbSession, scope: CurrentScope, data: TaskCreate) -> TaskRead:
    """Make a task by hand (supervisors); with ``scout_id`` it is assigned and pinned."""
    task = tasks_service.create(db, scope=scope, data=data)
    return present.task_read(db, scope=scope, task=task)


@router.get("/ops/tasks/{task_id}", response_model=TaskRead)
def read_task(db: DbSession, scope: CurrentScope, task_id: int) -> TaskRead:
    """One task (404 for another scout's task, or outside the caller's scope)."""
    task = tasks_service.get_or_raise(db, scope=scope, task_id=task_id)
    return present.task_read(db, scope=scope, task=task)


@router.patch("/ops/tasks/{task_id}", response_model=TaskRead)
def update_task(db: DbSession, scope: CurrentScope, task_id: int, data: TaskUpdate) -> TaskRead:
    """Change an open task (supervisors)."""
    task = tasks_service.update(db, scope=scope, task_id=task_id, data=data)
    return present.task_read(db, scope=scope, task=task)


@router.post("/ops/tasks/{task_id}/assign", response_model=TaskRead)
def assign_task(db: DbSession, scope: CurrentScope, task_id: int, data: TaskAssign) -> TaskRead:
    """Assign a task to a scout, pinned by default so the planner keeps it (supervisors)."""
    task = tasks_service.assign(
        db, scope=scope, task_id=task_id, scout_id=data.scout_id, pinned=data.pinned
    )
    return present.task_read(db, scope=scope, task=task)


def _act(
    db: DbSession,
    scope: CurrentScope,
    task_id: int,
    action: TaskAction,
    reason: str = "",
    at: datetime | None = None,
) -> TaskRead:
    task = tasks_service.act(db, scope=scope, task_id=task_id, action=action, reason=reason, at=at)
    return present.task_read(db, scope=scope, task=task)


@router.post("/ops/tasks/{task_id}/accept", response_model=TaskRead)
def accept_task(db: DbSession, scope: CurrentScope, task_id: int) -> TaskRead:
    """The assigned scout says yes."""
    return _act(db, scope, task_id, TaskAction.accept)


@router.post("/ops/tasks/{task_id}/start", response_model=TaskRead)
def start_task(db: DbSession, scope: CurrentScope, task_id: int) -> TaskRead:
    """The assigned scout begins the work (accepting it if they had not)."""
    return _act(db, scope, task_id, TaskAction.start)


@router.post("/ops/tasks/{task_id}/could-not-do", response_model=TaskRead)
def could_not_do(db: DbSession, scope: CurrentScope, task_id: int, data: TaskReason) -> TaskRead:
    """The scout could not do the task, and says why."""
    return _act(db, scope, task_id, TaskAction.could_not_do, data.reason, data.at)


@router.post("/ops/tasks/{task_id}/cancel", response_model=TaskRead)
def cancel_task(db: DbSession, scope: CurrentScope, task_id: int, data: TaskReason) -> TaskRead:
    """Withdraw a task (supervisors), saying why."""
    return _act(db, scope, task_id, TaskAction.cancel, data.reason, data.at)


@router.post("/ops/tasks/{task_id}/finish", response_model=WorkLogRead)
def finish_task(db: DbSession, scope: CurrentScope, task_id: int, data: TaskFinish) -> WorkLogRead:
    """Finish a task with proof of work: counts per company, notes, photos."""
    log = work.finish(db, scope=scope, task_id=task_id, data=data)
    return present.log_reads(db, scope=scope, logs=[log])[0]


@router.get("/ops/tasks/{task_id}/prefill", response_model=Prefill)
def prefill(db: DbSession, scope: CurrentScope, task_id: int) -> Prefill:
    """Vehicles of each company the live feed shows near the task now (the form's start)."""
    if not scope.is_operator_staff:
        raise Forbidden("only the unified operator's staff record work")
    task = tasks_service.get_or_raise(db, scope=scope, task_id=task_id)
    near = vehicles.nearby_counts(db, city_id=task.city_id, lon=task.lon, lat=task.lat)
    companies = cities_service.list_companies(db, city_id=scope.city_id)
    slugs = {c.id: c.slug for c in companies}
    return Prefill(
        radius_m=vehicles.NEAR_M,
        counts={slugs[c]: n for c, n in near.items() if c in slugs},
        companies=[c.slug for c in companies],
        names={c.slug: c.name for c in companies},
    )


@router.get("/ops/me/tasks", response_model=list[TaskRead])
def my_tasks(db: DbSession, scope: CurrentScope) -> list[TaskRead]:
    """The caller's open tasks in route order."""
    return present.task_reads(db, scope=scope, tasks=tasks_service.my_tasks(db, scope=scope))


@router.post("/ops/sync", response_model=SyncResponse)
def sync(db: DbSession, scope: CurrentScope, data: SyncRequest) -> SyncResponse:
    """Replay a phone's queued actions; each applies once, a replay gets the first answer."""
    return SyncResponse(results=sync_service.sync(db, scope=scope, actions=data.actions))


@router.post("/ops/photos", response_model=PhotoRead, status_code=201)
async def upload_photo(
    db: DbSession,
    scope: CurrentScope,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="A JPEG, PNG or WebP photo")],
    client_id: Annotated[str, Form(min_length=8, max_length=36)],
    stage: Annotated[PhotoStage, Form()] = PhotoStage.after,
    task_id: Annotated[int | None, Form()] = None,
) -> PhotoRead:
    """Upload a photo (checked by content, EXIF removed); the same ``client_id`` is stored once."""
    data = await file.read(settings.photo_max_bytes + 1)  # a bigger file is never held whole
    photo = work.upload_photo(
        db, scope=scope, root=settings.media_root, client_id=client_id, stage=stage, data=data,
        task_id=task_id, limits=photo_limits(settings),
    )  # fmt: skip
    return present.photo_read(photo)


@router.get("/ops/photos/{photo_id}", response_class=FileResponse)
def read_photo(
    db: DbSession,
    scope: CurrentScope,
    settings: SettingsDep,
    photo_id: int,
    thumb: Annotated[bool, Query(description="A small version (list rows, popups)")] = False,
) -> FileResponse:
    """A stored photo (JPEG without metadata), or its thumbnail."""
    photo = work.get_photo_or_raise(db, scope=scope, photo_id=photo_id)
    return photo_response(settings, photo.path, thumbnail=thumb)


@router.get("/ops/work-logs", response_model=WorkLogPage)
def list_work_logs(db: DbSession, scope: CurrentScope, paging: Paging) -> WorkLogPage:
    """Work logs in the caller's scope, newest first."""
    logs, total = work.list_logs(db, scope=scope, offset=paging.offset, limit=paging.size)
    items = present.log_reads(db, scope=scope, logs=logs)
    return WorkLogPage(items=items, total=total, page=paging.page, size=paging.size)


@router.get("/ops/work-logs/{log_id}", response_model=WorkLogRead)
def read_work_log(db: DbSession, scope: CurrentScope, log_id: int) -> WorkLogRead:
    """One work log."""
    log = work.get_log_or_raise(db, scope=scope, log_id=log_id)
    return present.log_reads(db, scope=scope, logs=[log])[0]


def _rows(found: list[counts.Row]) -> list[CountRow]:
    return [CountRow(period=r.period, key=r.key, label=r.label, count=r.count) for r in found]


@router.get("/ops/work/counts", response_model=CountsRead)
def read_counts(
    db: DbSession,
    scope: CurrentScope,
    timezone: CityTimezone,
    since: Annotated[
        date | None, Query(description="First day (city time); default: this month")
    ] = None,
    until: Annotated[
        date | None, Query(description="Day after the last; default: next month")
    ] = None,
    period: Annotated[Literal["day", "month"], Query()] = "month",
    group: Annotated[Literal["company", "zone", "scout"], Query()] = "company",
) -> CountsRead:
    """Scooters put in order per day or month (city time) and company, zone or scout."""
    today = datetime.now(ZoneInfo(timezone)).date()
    start = since or today.replace(day=1)
    end = until or counts.next_period(today.replace(day=1), "month")
    found = counts.counts(
        db, scope=scope, since=start, until=end, period=period, group=group, timezone=timezone
    )
    rows = _rows(found)
    return CountsRead(
        period=period, group=group, timezone=timezone, since=start, until=end, rows=rows,
        total=sum(r.count for r in rows),
    )  # fmt: skip


@router.get("/ops/work/day", response_model=DayView)
def read_day(
    db: DbSession,
    scope: CurrentScope,
    timezone: CityTimezone,
    day: Annotated[date | None, Query(description="A day in city time (default: today)")] = None,
) -> DayView:
    """One day's work in city time: totals per company, zone and scout."""
    the_day = day or datetime.now(ZoneInfo(timezone)).date()
    found = counts.day_view(db, scope=scope, day=the_day, timezone=timezone)
    return DayView(
        day=found.day, timezone=timezone, total=found.total, tasks_done=found.tasks_done,
        by_company=_rows(found.by_company), by_zone=_rows(found.by_zone),
        by_scout=_rows(found.by_scout),
    )  # fmt: skip


@router.post("/ops/damage-reports", response_model=DamageRead, status_code=201)
def report_damage(db: DbSession, scope: CurrentScope, data: DamageCreate) -> DamageRead:
    """Report a damaged vehicle from the spot (the same ``client_id`` is stored once)."""
    report = work.report_damage(db, scope=scope, data=data)
    return present.damage_reads(db, scope=scope, reports=[report])[0]


@router.get("/ops/damage-reports", response_model=list[DamageRead])
def list_damage(db: DbSession, scope: CurrentScope) -> list[DamageRead]:
    """Damage reports in the caller's scope, newest first."""
    return present.damage_reads(db, scope=scope, reports=work.list_damage(db, scope=scope))


@router.get("/ops/vehicles/identify/{code:path}", response_model=VehicleMatch)
def identify_vehicle(db: DbSession, scope: CurrentScope, code: str) -> VehicleMatch:
    """What a typed or scanned code is: its company and the live-feed vehicle, if known."""
    if not scope.is_operator_staff:
        raise Forbidden("only the unified operator's staff identify vehicles")
    found = vehicles.identify(db, city_id=scope.city_id, code=code)
    v = found.vehicle
    return VehicleMatch(
        code=found.code,
        candidates=found.candidates,
        company=found.company.slug if found.company else None,
        vehicle_id=v.vehicle_id if v else None,
        lon=v.lon if v else None,
        lat=v.lat if v else None,
        status=str(v.status) if v else None,
        in_feed=v is not None,
    )
