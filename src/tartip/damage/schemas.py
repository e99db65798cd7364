"""API schemas of damage handover: handovers (also the webhooks' ``data``), cases, deliveries,
figures, agreements and webhook settings.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tartip.core.schemas import TartipModel
from tartip.damage.enums import DamageKind, DamageSource, DeliveryStatus, HandoverStatus


class HandoverRead(TartipModel):
    """A damaged vehicle handed to its company, as the API shows it and webhooks send it."""

    handover_id: int
    reference: str = Field(description="The reference people quote, e.g. DH-000042")
    vehicle_id: str = Field(description="The vehicle's code or plate, as the company knows it")
    company: str = Field(description="The company's slug")
    damage: list[DamageKind] = Field(description="What is wrong, from every report merged")
    description: str
    lat: float | None
    lon: float | None
    photos: list[str] = Field(description="Absolute URLs of the photos (the company's token)")
    reported_at: datetime = Field(description="When the vehicle was first reported damaged")
    handed_over_at: datetime
    due_at: datetime = Field(description="Collect by then (the company's agreement)")
    status: HandoverStatus
    overdue: bool
    acknowledged_at: datetime | None = None
    collected_at: datetime | None = None
    collected_via: str | None = Field(
        default=None, description="portal, api, staff, feed (left the feed) or mds"
    )
    resolved_at: datetime | None = None
    resolution: str = ""
    report_count: int = Field(description="Reports merged into this handover")
    sources: list[DamageSource] = Field(description="Where the reports came from")


class HandoverPage(TartipModel):
    """One page of handovers."""

    items: list[HandoverRead]
    total: int
    page: int
    size: int


class HandoverAnswer(TartipModel):
    """A company's answer to a handover: an optional note (for resolve: what was done)."""

    note: str = Field(default="", max_length=2000)


class HandoverEventRead(TartipModel):
    """One step in a handover's history."""

    kind: str
    at: datetime
    actor: str
    note: str


class CaseReportRead(TartipModel):
    """One report merged into a case."""

    id: int
    source: DamageSource
    code: str
    kinds: list[DamageKind]
    description: str
    lon: float | None
    lat: float | None
    reported_at: datetime
    reported_by: str | None


class HandoverDetail(HandoverRead):
    """A handover with its reports and history."""

    reports: list[CaseReportRead]
    history: list[HandoverEventRead]


class DeliveryAttemptRead(TartipModel):
    """One attempt to deliver a webhook."""

    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryRead(TartipModel):
    """A webhook delivery with its attempts."""

    id: int
    delivery_id: str
    company: str
    url: str
    event_type: str
    handover_id: int | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[DeliveryAttemptRead]


class DeliveryPage(TartipModel):
    """One page of deliveries."""

    items: list[DeliveryRead]
    total: int
    page: int
    size: int


class FigureRow(TartipModel):
    """One company's damage figures for one month (in city time)."""

    month: str = Field(description="YYYY-MM")
    company: str | None = Field(description="Company slug; null: a vehicle nobody could place")
    found: int = Field(description="Damaged vehicles reported (cases opened) that month")
    handed_over: int = Field(description="Handovers to the company that month")
    collected: int = Field(description="Of those, collected so far")
    collect_median_h: float | None = Field(description="Median hours from handover to collected")
    collect_p90_h: float | None = Field(description="90th percentile of the same (nearest rank)")


class FiguresRead(TartipModel):
    """Damage figures by company and month."""

    since: str
    until: str
    rows: list[FigureRow]


class AgreementRead(TartipModel):
    """A company's agreement with the city."""

    company: str
    collect_within_h: float
    deliver_webhook: bool
    deliver_email: bool
    email: str | None
    fleet_cap: int | None


class AgreementUpdate(TartipModel):
    """A change to a company's agreement (only the fields given change)."""

    collect_within_h: float | None = Field(default=None, gt=0, le=24 * 30)
    deliver_webhook: bool | None = None
    deliver_email: bool | None = None
    email: str | None = Field(default=None, max_length=320)
    fleet_cap: int | None = Field(default=None, ge=0)


class WebhookRead(TartipModel):
    """A company's webhook (the secret is shown only to admins)."""

    company: str
    url: str
    active: bool
    secret: str | None


class WebhookUpdate(TartipModel):
    """A company's webhook settings; ``rotate_secret`` makes a new signing secret."""

    url: str = Field(min_length=8, max_length=2000)
    active: bool = True
    rotate_secret: bool = False


class PolicyUpdate(TartipModel):
    """The city's damage settings."""

    disabled_after_h: float = Field(gt=0, le=24 * 30)
    escalation_emails: str = Field(default="", max_length=2000)
