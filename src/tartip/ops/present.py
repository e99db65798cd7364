"""Turning ops rows into API schemas for one caller: a company representative sees only their
company's part of a task (its slug, its vehicles) and scouts by display name only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.ops import staff, work
from tartip.ops.models import DamageReport, Shift, Task, WorkLog, WorkPhoto
from tartip.ops.schemas import (
    DamageRead,
    PhotoRead,
    ScoutRef,
    ShiftRead,
    TaskRead,
    TaskVehicle,
    WorkLogRead,
)


class Lookup:
    """Names needed to present rows: company slugs, zone names, people's display names."""

    def __init__(
        self, db: Session, *, scope: Scope, user_ids: list[int], zone_ids: list[int]
    ) -> None:
        self.scope = scope
        self.slugs = {
            c.id: c.slug for c in cities_service.list_companies(db, city_id=scope.city_id)
        }
        self.names = staff.display_names(db, user_ids)
        self.zones = staff.zone_names(db, city_id=scope.city_id, zone_ids=zone_ids)

    def visible(self, company_id: int | None) -> bool:
        """Whether the caller may see this company's part."""
        return self.scope.company_id is None or company_id == self.scope.company_id

    def scout(self, user_id: int | None) -> ScoutRef | None:
        """A person as the caller may see them."""
        if user_id is None:
            return None
        shown_id = user_id if self.scope.is_operator_staff else None
        return ScoutRef(id=shown_id, name=self.names.get(user_id, "?"))


def task_reads(db: Session, *, scope: Scope, tasks: list[Task]) -> list[TaskRead]:
    """Tasks as the caller may see them."""
    look = Lookup(
        db,
        scope=scope,
        user_ids=[t.scout_id for t in tasks if t.scout_id is not None],
        zone_ids=[t.zone_id for t in tasks if t.zone_id is not None],
    )
    photo_ids = (
        work.task_photo_ids(db, task_ids=[t.id for t in tasks]) if scope.is_operator_staff else {}
    )
    return [_task_read(t, look, photo_ids.get(t.id, [])) for t in tasks]


def _task_read(task: Task, look: Lookup, photos: list[int]) -> TaskRead:
    vehicles = [
        TaskVehicle(
            vehicle_id=str(v.get("vehicle_id")),
            company=look.slugs.get(v.get("company_id") or 0),
            lon=v.get("lon"),
            lat=v.get("lat"),
        )
        for v in task.vehicles
        if look.visible(v.get("company_id"))
    ]
    return TaskRead(
        id=task.id,
        kind=task.kind,
        origin=task.origin,
        state=task.state,
        title=task.title,
        notes=task.notes,
        priority=task.priority,
        lon=task.lon,
        lat=task.lat,
        zone_id=task.zone_id,
        zone_name=look.zones.get(task.zone_id) if task.zone_id is not None else None,
        deadline=task.deadline,
        violation_id=task.violation_id,
        companies=[look.slugs[c] for c in task.company_ids if c in look.slugs and look.visible(c)],
        vehicles=vehicles,
        scout=look.scout(task.scout_id),
        pinned=task.pinned,
        route_seq=task.route_seq,
        eta=task.eta,
        explanation=task.explanation if look.scope.is_operator_staff else "",
        outcome_reason=task.outcome_reason,
        created_at=task.created_at,
        updated_at=task.updated_at,
        closed_at=task.closed_at,
        photo_ids=photos,
    )


def task_read(db: Session, *, scope: Scope, task: Task) -> TaskRead:
    """One task as the caller may see it."""
    return task_reads(db, scope=scope, tasks=[task])[0]


def shift_reads(db: Session, *, scope: Scope, shifts: list[Shift]) -> list[ShiftRead]:
    """Shifts with people's and zones' names."""
    names = staff.display_names(db, [s.user_id for s in shifts])
    zones = staff.zone_names(
        db, city_id=scope.city_id, zone_ids=[z for s in shifts for z in s.zone_ids]
    )
    return [
        ShiftRead(
            id=s.id,
            user_id=s.user_id,
            name=names.get(s.user_id, "?"),
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            zone_ids=list(s.zone_ids),
            zone_names=[zones.get(z, f"#{z}") for z in s.zone_ids],
            city_event_id=s.city_event_id,
            note=s.note,
            checked_in_at=s.checked_in_at,
            checked_out_at=s.checked_out_at,
            cancelled_at=s.cancelled_at,
        )
        for s in shifts
    ]


def log_reads(db: Session, *, scope: Scope, logs: list[WorkLog]) -> list[WorkLogRead]:
    """Work logs with counts per company (a representative sees their company's count only)."""
    look = Lookup(
        db, scope=scope, user_ids=[lg.scout_id for lg in logs if lg.scout_id], zone_ids=[]
    )
    counts = work.counts_of(db, log_ids=[lg.id for lg in logs])
    out = []
    for log in logs:
        mine = {
            look.slugs.get(c, str(c)): n
            for c, n in counts.get(log.id, {}).items()
            if look.visible(c)
        }
        out.append(
            WorkLogRead(
                id=log.id,
                task_id=log.task_id,
                scout=look.scout(log.scout_id),
                zone_id=log.zone_id,
                finished_at=log.finished_at,
                total=sum(mine.values()),
                counts=mine,
                notes=log.notes if scope.company_id is None else "",
            )
        )
    return out


def photo_read(photo: WorkPhoto) -> PhotoRead:
    """A stored photo with the URL it is served at."""
    return PhotoRead(
        id=photo.id,
        task_id=photo.task_id,
        stage=photo.stage,
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
        size_bytes=photo.size_bytes,
        url=f"/api/v1/ops/photos/{photo.id}",
    )


def damage_reads(db: Session, *, scope: Scope, reports: list[DamageReport]) -> list[DamageRead]:
    """Damage reports as the caller may see them."""
    look = Lookup(
        db, scope=scope, user_ids=[r.reported_by for r in reports if r.reported_by], zone_ids=[]
    )
    return [
        DamageRead(
            id=r.id,
            code=r.code,
            company=look.slugs.get(r.company_id) if r.company_id is not None else None,
            vehicle_id=r.vehicle_id,
            kind=r.kind,
            description=r.description,
            lon=r.lon,
            lat=r.lat,
            photo_id=r.photo_id,
            reported_at=r.reported_at,
            reported_by=look.scout(r.reported_by),
        )
        for r in reports
    ]
