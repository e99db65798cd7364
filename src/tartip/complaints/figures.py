"""Complaint figures for a period: by source, category, company and zone, with times to resolve.

A complaint counts in the period it was received. *Open* and *overdue* are as of now (overdue:
open past its due time); *late*: closed after its due time; time to resolve is from receipt to the
last close of a resolved complaint (a re-opened one counts its final close), given as the median
and the 90th percentile (nearest rank) in hours. A complaint about two companies counts for both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.complaints import access
from tartip.complaints.enums import OPEN, ComplaintStatus, MatchState
from tartip.complaints.models import Complaint, ComplaintCompany
from tartip.complaints.schemas import FigureRow, FiguresRead
from tartip.core.errors import Forbidden
from tartip.damage.figures import nearest_rank
from tartip.ops.staff import zone_names

NONE_KEY = "none"
DEFAULT_DAYS = 30


def period(
    first: date | None, last: date | None, *, timezone: str, now: datetime
) -> tuple[datetime, datetime]:
    """The [since, until) of whole city-time days ``first``..``last`` (last: today; first:
    ``DEFAULT_DAYS`` days ending on the last)."""
    zone = ZoneInfo(timezone)
    last = last or now.astimezone(zone).date()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    since = datetime.combine(first, time(0, 0), tzinfo=zone)
    return since, datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=zone)


def hours_to_resolve(complaint: Complaint) -> float | None:
    """Hours from receipt to the last close of a resolved complaint; None unless resolved."""
    if complaint.status != ComplaintStatus.resolved or complaint.closed_at is None:
        return None
    return (complaint.closed_at - complaint.received_at).total_seconds() / 3600


@dataclass
class _Tally:
    label: str
    total: int = 0
    open: int = 0
    overdue: int = 0
    late: int = 0
    resolved: int = 0
    hours: list[float] = field(default_factory=list)

    def add(self, complaint: Complaint, now: datetime) -> None:
        self.total += 1
        status = ComplaintStatus(complaint.status)
        if status in OPEN:
            self.open += 1
            self.overdue += complaint.due_at < now
        elif complaint.closed_at is not None:
            self.late += complaint.closed_at > complaint.due_at
        took = hours_to_resolve(complaint)
        if took is not None:
            self.resolved += 1
            self.hours.append(took)

    def row(self, key: str) -> FigureRow:
        median, p90 = nearest_rank(self.hours, 0.5), nearest_rank(self.hours, 0.9)
        return FigureRow(
            key=key, label=self.label, total=self.total, open=self.open, overdue=self.overdue,
            late=self.late, resolved=self.resolved,
            median_hours=round(median, 2) if median is not None else None,
            p90_hours=round(p90, 2) if p90 is not None else None,
        )  # fmt: skip


def _rows(tallies: dict[str, _Tally]) -> list[FigureRow]:
    return [t.row(k) for k, t in sorted(tallies.items(), key=lambda kv: (-kv[1].total, kv[0]))]


def _companies(db: Session, complaint_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    if not complaint_ids:
        return out
    stmt = select(ComplaintCompany.complaint_id, ComplaintCompany.company_id).where(
        ComplaintCompany.complaint_id.in_(complaint_ids),
        ComplaintCompany.state != MatchState.rejected,
    )
    for cid, company_id in db.execute(stmt):
        out[cid].append(company_id)
    return out


def figures(
    db: Session, *, scope: Scope, since: datetime, until: datetime, now: datetime
) -> FiguresRead:
    """The figures of complaints received in [since, until) in the caller's scope."""
    if not access.sees_all_companies(scope):
        raise Forbidden("complaint figures are for the operator's staff and the city")
    stmt = select(Complaint).where(
        *access.scope_clauses(scope), Complaint.received_at >= since, Complaint.received_at < until
    )
    found = list(db.scalars(stmt))
    companies = _companies(db, [c.id for c in found])
    known = cities_service.list_companies(db, city_id=scope.city_id)
    names, slugs = {c.id: c.name for c in known}, {c.id: c.slug for c in known}
    zones = zone_names(
        db, city_id=scope.city_id, zone_ids=[c.zone_id for c in found if c.zone_id is not None]
    )
    total = _Tally("all")
    by: dict[str, dict[str, _Tally]] = {k: {} for k in ("source", "category", "company", "zone")}
    for c in found:
        total.add(c, now)
        keys = {
            "source": [(str(c.source), str(c.source))],
            "category": [(str(c.category), str(c.category))],
            "company": [(slugs[i], names[i]) for i in companies.get(c.id, [])] or [(NONE_KEY, "—")],
            "zone": [(str(c.zone_id), zones.get(c.zone_id, str(c.zone_id)))]
            if c.zone_id is not None
            else [(NONE_KEY, "—")],
        }
        for group, pairs in keys.items():
            for key, label in pairs:
                by[group].setdefault(key, _Tally(label)).add(c, now)
    return FiguresRead(
        since=since, until=until, total=total.row("all"), by_source=_rows(by["source"]),
        by_category=_rows(by["category"]), by_company=_rows(by["company"]),
        by_zone=_rows(by["zone"]),
    )  # fmt: skip
