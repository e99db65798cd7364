"""Field operations: staff profiles, teams, shifts, tasks, assignments, proof of work, sync log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.core.clock import utcnow
from tartip.db.base import Base, CityScoped, Timestamped
from tartip.db.types import UTCDateTime
from tartip.ops.enums import DamageKind, PhotoStage, TaskKind, TaskOrigin, TaskState, TravelMode

USER_FK = "user_account.id"


class Team(CityScoped, Timestamped, Base):
    """A team of field staff (e.g. "Medeu scouts"), led by a supervisor."""

    __tablename__ = "ops_team"
    __table_args__ = (UniqueConstraint("city_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class StaffProfile(CityScoped, Timestamped, Base):
    """What field operations know of a person beyond their account: team, travel mode, phone."""

    __tablename__ = "ops_staff_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"), unique=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("ops_team.id", ondelete="SET NULL"), index=True, default=None
    )
    travel_mode: Mapped[TravelMode] = mapped_column(String(16), default=TravelMode.on_foot)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    # Demo scouts walked by the simulation job (never set for a real person).
    simulated: Mapped[bool] = mapped_column(default=False)
    # The last position the phone (or the simulation) reported.
    last_lon: Mapped[float | None] = mapped_column(default=None)
    last_lat: Mapped[float | None] = mapped_column(default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Shift(CityScoped, Timestamped, Base):
    """One person's shift: when, in which duty zones, and their check-in and check-out."""

    __tablename__ = "ops_shift"
    __table_args__ = (Index("ix_ops_shift_city_starts", "city_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Duty zone ids this shift watches (zones of kind duty).
    zone_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Set when the shift staffs a mass event; ops never reads the event itself (events is above).
    city_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("city_event.id", ondelete="SET NULL"), index=True, default=None
    )
    note: Mapped[str] = mapped_column(Text, default="")
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    check_in_lon: Mapped[float | None] = mapped_column(default=None)
    check_in_lat: Mapped[float | None] = mapped_column(default=None)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    check_out_lon: Mapped[float | None] = mapped_column(default=None)
    check_out_lat: Mapped[float | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Task(CityScoped, Timestamped, Base):
    """A piece of field work: what, where, how urgent, for whom, and where it is in its life.

    A task made from a violation keeps its id; the unique (city, violation) constraint allows one
    task per violation on both databases (NULLs never collide), so a restarted or doubled job
    cannot open a second one.
    """

    __tablename__ = "ops_task"
    __table_args__ = (
        UniqueConstraint("city_id", "violation_id"),
        Index("ix_ops_task_city_state", "city_id", "state"),
        Index("ix_ops_task_scout_state", "scout_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TaskKind] = mapped_column(String(32))
    origin: Mapped[TaskOrigin] = mapped_column(String(16))
    state: Mapped[TaskState] = mapped_column(String(16), default=TaskState.new)
    title: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # 1 (when there is time) … 5 (now).
    priority: Mapped[int] = mapped_column(default=3)
    lon: Mapped[float]
    lat: Mapped[float]
    zone_id: Mapped[int | None] = mapped_column(
        ForeignKey("zone.id", ondelete="SET NULL"), index=True, default=None
    )
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    violation_id: Mapped[int | None] = mapped_column(
        ForeignKey("violation.id", ondelete="SET NULL"), default=None
    )
    # Reserved for complaints and damage reports (later issues): the row the task came from.
    source_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    company_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # [{"vehicle_id": feed id, "company_id": id, "lon": …, "lat": …}], the first few.
    vehicles: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    scout_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), default=None
    )
    # A supervisor's choice of scout: the planner keeps it.
    pinned: Mapped[bool] = mapped_column(default=False)
    route_seq: Mapped[int | None] = mapped_column(default=None)
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Why this scout (the planner's words), or why nobody (unserved reason).
    explanation: Mapped[str] = mapped_column(Text, default="")
    outcome_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class TaskAssignment(CityScoped, Base):
    """One (re)assignment of a task: to whom, by whom (planner or person) and why."""

    __tablename__ = "ops_task_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("ops_task.id", ondelete="CASCADE"), index=True)
    scout_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), default=None
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
    pinned: Mapped[bool] = mapped_column(default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")


class WorkLog(CityScoped, Base):
    """Proof of work of one finished task: the source of every "scooters put in order" figure."""

    __tablename__ = "ops_work_log"
    __table_args__ = (Index("ix_ops_work_log_city_finished", "city_id", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("ops_task.id", ondelete="CASCADE"), unique=True)
    scout_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), index=True, default=None
    )
    zone_id: Mapped[int | None] = mapped_column(
        ForeignKey("zone.id", ondelete="SET NULL"), index=True, default=None
    )
    # When the work was done (the phone's clock for offline work, checked), in UTC.
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    total: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    # What the live feed showed near the place when the scout finished (the pre-fill).
    suggested: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class WorkLogCount(CityScoped, Base):
    """How many vehicles of one company a work log put in order."""

    __tablename__ = "ops_work_log_count"
    __table_args__ = (UniqueConstraint("work_log_id", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_log_id: Mapped[int] = mapped_column(
        ForeignKey("ops_work_log.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    count: Mapped[int]


class WorkPhoto(CityScoped, Base):
    """A photo taken on the job, stored re-encoded (no EXIF) under the data directory."""

    __tablename__ = "ops_work_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The phone's id for the upload: a repeated upload returns the first photo.
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("ops_task.id", ondelete="CASCADE"), index=True, default=None
    )
    stage: Mapped[PhotoStage] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), default=None
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DamageReport(CityScoped, Base):
    """A damaged vehicle a scout reported from the spot (handed to its company in a later issue)."""

    __tablename__ = "ops_damage_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    reported_by: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), default=None
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True, default=None
    )
    # The code as typed or scanned, and the live-feed vehicle it matched (if any).
    code: Mapped[str] = mapped_column(String(500))
    vehicle_id: Mapped[str | None] = mapped_column(String(255), default=None)
    kind: Mapped[DamageKind] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float | None] = mapped_column(default=None)
    lat: Mapped[float | None] = mapped_column(default=None)
    photo_id: Mapped[int | None] = mapped_column(
        ForeignKey("ops_work_photo.id", ondelete="SET NULL"), default=None
    )
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SyncAction(CityScoped, Base):
    """One action a phone synced, kept so a replay returns the first answer and counts once."""

    __tablename__ = "ops_sync_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The phone's UUID for the action: unique, so two racing replays cannot both apply it.
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), index=True, default=None
    )
    kind: Mapped[str] = mapped_column(String(32))
    # SHA-256 of the action's canonical JSON: the same id with other content is a conflict.
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
