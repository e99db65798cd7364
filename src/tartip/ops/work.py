"""Proof of work: finishing a task with counts per company, photos, and damage reports.

The ``WorkLog`` written here is the only source of "scooters put in order" figures. It is dated
when the work was done (the phone's clock, checked against the server's), so a task finished
offline at 23:30 and synced after midnight still counts for the day it was done.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.core import photos
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from tartip.ops import service as tasks
from tartip.ops import vehicles
from tartip.ops.enums import PhotoStage, TaskState
from tartip.ops.models import DamageReport, Task, WorkLog, WorkLogCount, WorkPhoto
from tartip.ops.schemas import DamageCreate, TaskFinish


def _company_ids(db: Session, *, city_id: int) -> dict[str, int]:
    return {c.slug: c.id for c in cities_service.list_companies(db, city_id=city_id)}


def _counts(db: Session, *, city_id: int, data: TaskFinish) -> dict[int, int]:
    by_slug = _company_ids(db, city_id=city_id)
    problems = []
    counts: dict[int, int] = {}
    for i, item in enumerate(data.counts):
        company_id = by_slug.get(item.company)
        if company_id is None:
            problems.append(Problem(f"counts.{i}.company", f"unknown company {item.company!r}"))
        elif company_id in counts:
            problems.append(Problem(f"counts.{i}.company", "the same company twice"))
        else:
            counts[company_id] = item.count
    if problems:
        raise InvalidInput("the counts are not valid", problems=problems)
    return counts


def _attach_photos(db: Session, *, scope: Scope, task: Task, photo_ids: list[int]) -> None:
    if not photo_ids:
        return
    found = {p.id: p for p in db.scalars(select(WorkPhoto).where(WorkPhoto.id.in_(photo_ids)))}
    for pid in photo_ids:
        photo = found.get(pid)
        mine = photo is not None and photo.uploaded_by == scope.user_id
        if photo is None or photo.city_id != task.city_id or not (mine or photo.task_id == task.id):
            raise InvalidInput("no such photo", problems=[Problem("photo_ids", f"unknown {pid}")])
        photo.task_id = task.id


def finish(db: Session, *, scope: Scope, task_id: int, data: TaskFinish) -> WorkLog:
    """Finish a task with proof of work: counts per company (pre-filled from the feed), notes."""
    task = tasks.workable(db, scope=scope, task_id=task_id)
    if task.state == TaskState.done:
        raise Conflict(f"task {task.id} is already done")
    counts = _counts(db, city_id=task.city_id, data=data)
    before = tasks.summary(task)
    at = tasks.moment(data.at)
    tasks.close_done(task, at=at)
    suggested = vehicles.nearby_counts(db, city_id=task.city_id, lon=task.lon, lat=task.lat)
    slugs = {v: k for k, v in _company_ids(db, city_id=task.city_id).items()}
    log = WorkLog(
        city_id=task.city_id,
        task_id=task.id,
        scout_id=task.scout_id or scope.user_id,
        zone_id=task.zone_id,
        finished_at=at,
        recorded_at=utcnow(),
        total=sum(counts.values()),
        notes=data.notes.strip(),
        suggested={slugs.get(c, str(c)): n for c, n in suggested.items()},
    )
    db.add(log)
    db.flush()
    db.add_all(
        WorkLogCount(city_id=task.city_id, work_log_id=log.id, company_id=c, count=n)
        for c, n in counts.items()
        if n > 0
    )
    _attach_photos(db, scope=scope, task=task, photo_ids=data.photo_ids)
    db.flush()
    audit.record(
        db, actor=scope.actor, action="task.finish", entity_type="task", entity_id=task.id,
        city_id=task.city_id, before=before,
        after={**tasks.summary(task), "counts": {slugs.get(c): n for c, n in counts.items()}},
    )  # fmt: skip
    return log


def counts_of(db: Session, *, log_ids: list[int]) -> dict[int, dict[int, int]]:
    """The counts per company of these work logs."""
    if not log_ids:
        return {}
    stmt = select(WorkLogCount).where(WorkLogCount.work_log_id.in_(log_ids))
    out: dict[int, dict[int, int]] = {}
    for row in db.scalars(stmt):
        out.setdefault(row.work_log_id, {})[row.company_id] = row.count
    return out


def log_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    """What the caller may see of the work logs."""
    clauses: list[ColumnElement[bool]] = [WorkLog.city_id == scope.city_id]
    if tasks.is_field(scope):
        clauses.append(WorkLog.scout_id == (scope.user_id or 0))
    elif scope.company_id is not None:
        mine = select(WorkLogCount.work_log_id).where(WorkLogCount.company_id == scope.company_id)
        clauses.append(WorkLog.id.in_(mine))
    return clauses


def list_logs(
    db: Session, *, scope: Scope, offset: int = 0, limit: int = 100
) -> tuple[list[WorkLog], int]:
    """Work logs in the caller's scope, newest first."""
    if scope.role is Role.city_viewer:
        raise Forbidden("city viewers read the counts, not single work logs")
    clauses = log_clauses(scope)
    total = db.scalar(select(func.count()).select_from(WorkLog).where(*clauses)) or 0
    stmt = select(WorkLog).where(*clauses).order_by(WorkLog.finished_at.desc(), WorkLog.id.desc())
    return list(db.scalars(stmt.offset(offset).limit(limit))), int(total)


def get_log_or_raise(db: Session, *, scope: Scope, log_id: int) -> WorkLog:
    """One work log in the caller's scope."""
    if scope.role is Role.city_viewer:
        raise Forbidden("city viewers read the counts, not single work logs")
    log = db.scalars(select(WorkLog).where(WorkLog.id == log_id, *log_clauses(scope))).first()
    if log is None:
        raise NotFound(f"no work log {log_id}")
    return log


def upload_photo(
    db: Session,
    *,
    scope: Scope,
    root: Path,
    client_id: str,
    stage: PhotoStage,
    data: bytes,
    task_id: int | None = None,
    limits: photos.PhotoLimits | None = None,
) -> WorkPhoto:
    """Store a photo (checked, EXIF removed); the same ``client_id`` again returns the first."""
    if not scope.is_operator_staff:
        raise Forbidden("only the unified operator's staff upload photos")
    earlier = db.scalars(select(WorkPhoto).where(WorkPhoto.client_id == client_id)).first()
    if earlier is not None:
        if earlier.uploaded_by != scope.user_id:
            raise Conflict("this upload id belongs to another upload")
        return earlier
    task = tasks.workable(db, scope=scope, task_id=task_id) if task_id is not None else None
    clean = photos.clean(data, limits)
    path = photos.store(root, city_id=scope.city_id, photo=clean)
    photo = WorkPhoto(
        city_id=scope.city_id,
        client_id=client_id,
        task_id=task.id if task else None,
        stage=stage,
        path=path,
        content_type="image/jpeg",
        width=clean.width,
        height=clean.height,
        size_bytes=len(clean.data),
        sha256=clean.sha256,
        uploaded_by=scope.user_id,
        uploaded_at=utcnow(),
    )
    try:
        with db.begin_nested():
            db.add(photo)
            db.flush()
    except IntegrityError:
        # A racing replay stored it first: answer with that one, drop our file.
        (root / path).unlink(missing_ok=True)
        return upload_photo(
            db, scope=scope, root=root, client_id=client_id, stage=stage, data=data,
            task_id=task_id, limits=limits,
        )  # fmt: skip
    return photo


def get_photo_or_raise(db: Session, *, scope: Scope, photo_id: int) -> WorkPhoto:
    """A photo the caller may see: staff any of the city's; a representative their tasks'."""
    photo = db.get(WorkPhoto, photo_id)
    if photo is None or photo.city_id != scope.city_id:
        raise NotFound(f"no photo {photo_id}")
    if scope.role is Role.city_viewer:
        raise NotFound(f"no photo {photo_id}")
    if tasks.is_field(scope) and photo.uploaded_by != scope.user_id:
        if photo.task_id is None or tasks.get(db, scope=scope, task_id=photo.task_id) is None:
            raise NotFound(f"no photo {photo_id}")
    if scope.company_id is not None:
        if photo.task_id is None or tasks.get(db, scope=scope, task_id=photo.task_id) is None:
            raise NotFound(f"no photo {photo_id}")
    return photo


def task_photo_ids(db: Session, *, task_ids: list[int]) -> dict[int, list[int]]:
    """Photo ids per task."""
    if not task_ids:
        return {}
    stmt = select(WorkPhoto.task_id, WorkPhoto.id).where(WorkPhoto.task_id.in_(task_ids))
    out: dict[int, list[int]] = {}
    for tid, pid in db.execute(stmt.order_by(WorkPhoto.id)):
        if tid is not None:
            out.setdefault(tid, []).append(pid)
    return out


def report_damage(db: Session, *, scope: Scope, data: DamageCreate) -> DamageReport:
    """Record a damaged vehicle from the spot; the same ``client_id`` again returns the first."""
    if not scope.is_operator_staff:
        raise Forbidden("only the unified operator's staff report damage here")
    earlier = db.scalars(
        select(DamageReport).where(DamageReport.client_id == data.client_id)
    ).first()
    if earlier is not None:
        return earlier
    match = vehicles.identify(db, city_id=scope.city_id, code=data.code)
    lon, lat = data.lon, data.lat
    if (lon is None or lat is None) and match.vehicle is not None:
        lon, lat = match.vehicle.lon, match.vehicle.lat
    report = DamageReport(
        city_id=scope.city_id,
        client_id=data.client_id,
        reported_by=scope.user_id,
        company_id=match.company.id if match.company else None,
        code=data.code.strip(),
        vehicle_id=match.vehicle.vehicle_id if match.vehicle else None,
        kind=data.kind,
        description=data.description.strip(),
        lon=lon,
        lat=lat,
        photo_id=data.photo_id,
        reported_at=utcnow(),
    )
    db.add(report)
    db.flush()
    audit.record(
        db, actor=scope.actor, action="damage_report.create", entity_type="damage_report",
        entity_id=report.id, city_id=scope.city_id,
        after={"code": report.code, "company_id": report.company_id, "kind": str(report.kind)},
    )  # fmt: skip
    return report


def list_damage(db: Session, *, scope: Scope, limit: int = 200) -> list[DamageReport]:
    """Damage reports in the caller's scope, newest first."""
    if scope.role is Role.city_viewer:
        raise Forbidden("city viewers do not see damage reports")
    stmt = select(DamageReport).where(DamageReport.city_id == scope.city_id)
    if tasks.is_field(scope):
        stmt = stmt.where(DamageReport.reported_by == scope.user_id)
    elif scope.company_id is not None:
        stmt = stmt.where(DamageReport.company_id == scope.company_id)
    return list(db.scalars(stmt.order_by(DamageReport.id.desc()).limit(limit)))
