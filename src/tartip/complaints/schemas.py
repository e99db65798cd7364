"""API schemas of complaints: intake, the complaint as each caller may see it, staff's actions,
figures and due times."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from tartip.complaints.enums import (
    ComplaintAction,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    DueClock,
    MatchOrigin,
    MatchState,
)
from tartip.core.schemas import TartipModel

PHONE_PATTERN = r"^\s*(\+?[0-9][0-9 ()\-]{3,30})?\s*$"
DESCRIPTION_MAX = 4000


class ComplaintCreate(TartipModel):
    """A new complaint (from the API, the public form or staff's entry).

    ``source`` is set from the caller when it is a body's token (government, police) or a
    company; staff may name it (a phone call from a citizen, a letter from the akimat).
    """

    category: ComplaintCategory
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    occurred_at: datetime | None = Field(
        default=None, description="When it happened (aware); default: when it is received"
    )
    address: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    source: ComplaintSource | None = None
    contact_name: str = Field(default="", max_length=200)
    contact_email: str = Field(default="", max_length=320)
    contact_phone: str = Field(default="", max_length=40, pattern=PHONE_PATTERN)
    contact_consent: bool = False
    locale: str | None = Field(default=None, max_length=8)
    external_ref: str | None = Field(
        default=None, max_length=100, description="The sender's own case number (idempotent)"
    )

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2026-06-30T09:00:00+05:00")
        return value


class ContactRead(TartipModel):
    """The complainant's contact details (admins and supervisors only)."""

    name: str
    email: str
    phone: str
    consent: bool
    removed_at: datetime | None


class VehicleMatchRead(TartipModel):
    """A vehicle matched to a complaint."""

    id: int
    company: str
    vehicle_id: str
    lon: float | None
    lat: float | None
    distance_m: float | None
    seen_at: datetime | None
    origin: MatchOrigin
    state: MatchState


class CompanyLinkRead(TartipModel):
    """A company a complaint concerns."""

    company: str
    name: str
    origin: MatchOrigin
    state: MatchState
    routed_at: datetime | None
    answered_at: datetime | None


class TransitionRead(TartipModel):
    """One step of a complaint's life."""

    action: ComplaintAction | None
    from_status: ComplaintStatus | None
    to_status: ComplaintStatus
    at: datetime
    by: str
    note: str


class CommentRead(TartipModel):
    """A note or a message in a company's thread."""

    id: int
    company: str | None
    by_company: bool
    author: str
    body: str
    at: datetime


class ComplaintRead(TartipModel):
    """A complaint as the caller may see it (contact only for admins and supervisors)."""

    reference: str
    source: ComplaintSource
    category: ComplaintCategory
    status: ComplaintStatus
    lon: float
    lat: float
    address: str
    occurred_at: datetime
    received_at: datetime
    due_at: datetime
    overdue: bool
    description: str
    zone_id: int | None
    zone_name: str | None
    answer: str
    answered_at: datetime | None
    reject_reason: str
    closed_at: datetime | None
    reopen_count: int
    task_id: int | None
    damage_ref: str | None
    external_ref: str | None
    photo_ids: list[int]
    contact: ContactRead | None
    vehicles: list[VehicleMatchRead]
    companies: list[CompanyLinkRead]
    history: list[TransitionRead]
    comments: list[CommentRead]


class ComplaintPage(TartipModel):
    """One page of complaints."""

    items: list[ComplaintRead]
    total: int
    page: int
    size: int


class StatusChange(TartipModel):
    """Move a complaint: take in work, resolve (``text`` = the answer), reject or re-open
    (``text`` = the reason)."""

    action: ComplaintAction
    text: str = Field(default="", max_length=DESCRIPTION_MAX)


class VehicleDecision(TartipModel):
    """Staff's word on a vehicle: confirm or reject a match, or add one by its code."""

    action: str = Field(pattern="^(confirm|reject|add)$")
    company: str = Field(min_length=1, max_length=64)
    vehicle_id: str = Field(min_length=1, max_length=255)


class CompanyDecision(TartipModel):
    """Staff's word on a company: confirm, add or remove it."""

    action: str = Field(pattern="^(confirm|add|remove)$")
    company: str = Field(min_length=1, max_length=64)


class RouteRequest(TartipModel):
    """Where to send a complaint: a scout's task, the companies concerned, the damage desk."""

    task: bool = False
    companies: bool = False
    damage: bool = False
    note: str = Field(default="", max_length=2000)


class CommentCreate(TartipModel):
    """A note (staff, no company), or a message in a company's thread."""

    body: str = Field(min_length=1, max_length=DESCRIPTION_MAX)
    company: str | None = Field(default=None, description="The company's thread (staff only)")


class DueTimeRead(TartipModel):
    """A due time: category and source ("*" for any), hours, and how they are counted."""

    category: str
    source: str
    hours: float
    clock: DueClock
    overridden: bool


class DueTimeSet(TartipModel):
    """A city's own due time for a category and source ("*" for any); ``hours`` null removes it."""

    category: str = Field(min_length=1, max_length=32)
    source: str = Field(min_length=1, max_length=16)
    hours: float | None = Field(default=None, gt=0, le=24 * 90)
    clock: DueClock = DueClock.calendar


class FigureRow(TartipModel):
    """One row of the figures: how many, still open, overdue (open past due), closed late, and
    times to resolve (hours)."""

    key: str
    label: str
    total: int
    open: int
    overdue: int
    late: int
    resolved: int
    median_hours: float | None
    p90_hours: float | None


class FiguresRead(TartipModel):
    """Complaints received in a period, by source, category, company and zone."""

    since: datetime
    until: datetime
    total: FigureRow
    by_source: list[FigureRow]
    by_category: list[FigureRow]
    by_company: list[FigureRow]
    by_zone: list[FigureRow]


class PublicStatus(TartipModel):
    """What anyone with the reference may see: no personal data, no place."""

    reference: str
    category: ComplaintCategory
    status: ComplaintStatus
    received_at: datetime
    due_at: datetime
    closed_at: datetime | None
    answer: str
