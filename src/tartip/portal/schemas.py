"""API schemas of the portal: a company's overview (the rest is served by the domains' own APIs)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tartip.core.schemas import TartipModel
from tartip.feeds.enums import FeedHealth


class FeedHealthRead(TartipModel):
    """One of the company's feeds, as its health."""

    id: int
    url: str
    enabled: bool
    health: FeedHealth
    consecutive_failures: int
    last_success_at: datetime | None
    data_updated_at: datetime | None
    vehicle_count: int | None
    last_error: str | None


class CaseCountRead(TartipModel):
    """Open cases of one kind about the company's vehicles."""

    key: str = Field(description="handovers or complaints")
    open: int
    overdue: int


class PortalOverview(TartipModel):
    """A company's state at a glance, as its portal shows it."""

    company: str = Field(description="The company's slug")
    company_name: str
    vehicles: int = Field(description="The company's vehicles in its feed now")
    vehicles_by_status: dict[str, int]
    vehicles_stale: int = Field(description="Of those, kept from an old snapshot")
    open_violations: int
    open_violations_by_kind: dict[str, int]
    feeds: list[FeedHealthRead]
    cases: list[CaseCountRead] = Field(description="Open handovers and complaints, when tracked")
