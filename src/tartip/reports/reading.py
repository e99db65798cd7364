"""Reading the scorecard's inputs: one grouped query per input for the whole city.

Every function answers for all companies of a city at once (keyed by company id), so the city's
page with every company costs what one company's does. The big table (a month of feed pulls) is
aggregated in the database; only small results come to Python. The MDS inputs are read in
``reading_mds.py``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tartip.cities.models import Company
from tartip.complaints.enums import ComplaintStatus, MatchState
from tartip.complaints.models import Complaint, ComplaintCompany
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.compliance.reading import load_thresholds
from tartip.damage.enums import HandoverStatus
from tartip.damage.models import CompanyAgreement, Handover
from tartip.feeds.models import Feed, FeedPullSlot
from tartip.ops.models import WorkLog, WorkLogCount
from tartip.reports.period import SAMPLE_S, Period
from tartip.reports.scorecard import FeedInputs, FleetCounts, HandoverTimes, PullSlot
from tartip.trips.statistics_models import TripRollup

# Violations of where a vehicle was left (not of fleet size, duty load or a dead vehicle).
PARKING_KINDS = (
    ViolationKind.no_parking,
    ViolationKind.outside_parking,
    ViolationKind.over_capacity,
    ViolationKind.clutter,
    ViolationKind.no_ride,
    ViolationKind.outside_service_area,
)
# New vehicle data older than this before the month is not looked for (its age stays unknown).
NEW_DATA_LOOKBACK = timedelta(days=1)


def disabled_spells(
    db: Session, *, city_id: int, period: Period
) -> dict[int, list[tuple[str, float, float]]]:
    """Each vehicle's time disabled on the street beyond the threshold, as the detector saw it.

    A ``disabled_too_long`` violation opens when a disabled vehicle passes the threshold and
    clears at the first evaluation that no longer sees it (repaired, collected, or hidden); one
    still open lasts until it was last seen. Returned per company: (vehicle, from, to).
    """
    v = Violation
    ended = func.coalesce(v.cleared_at, v.last_seen_at)
    stmt = select(v.company_id, v.key, v.opened_at, ended).where(
        v.city_id == city_id,
        v.kind == ViolationKind.disabled_too_long.value,
        v.opened_at < period.until,
        ended > period.start,
        v.company_id.is_not(None),
    )
    found: dict[int, list[tuple[str, float, float]]] = defaultdict(list)
    for company_id, key, opened, until in db.execute(stmt):
        if company_id is not None:
            found[company_id].append((str(key), opened.timestamp(), until.timestamp()))
    return found


def disabled_threshold_s(db: Session, *, city_id: int) -> float:
    """How long a disabled vehicle may stand: the city's detection threshold, the same number."""
    return float(load_thresholds(db, city_id=city_id).city().disabled_too_long_s)


def fleet_caps(db: Session, *, city_id: int, companies: list[Company]) -> dict[int, int]:
    """Each company's fleet cap: its agreement's, else the city's cap in the thresholds."""
    stmt = select(CompanyAgreement.company_id, CompanyAgreement.fleet_cap).where(
        CompanyAgreement.city_id == city_id, CompanyAgreement.fleet_cap.is_not(None)
    )
    agreed = {int(c): int(cap) for c, cap in db.execute(stmt) if cap is not None}
    city = load_thresholds(db, city_id=city_id).city()
    caps: dict[int, int] = {}
    for company in companies:
        cap = agreed.get(company.id, city.fleet_caps.get(company.slug, city.fleet_cap))
        if cap is not None:
            caps[company.id] = cap
    return caps


def _feeds(db: Session, *, city_id: int) -> dict[int, int]:
    stmt = select(Feed.id, Feed.company_id).where(Feed.city_id == city_id)
    return {int(f): int(c) for f, c in db.execute(stmt)}


def feed_inputs(db: Session, *, city_id: int, period: Period) -> dict[int, FeedInputs]:
    """Each company's pulls per 5-minute slot, with its feeds' vehicle counts and new data.

    Read from the pulls' slot sums (``tartip.feeds.pull_slots``), kept after the pulls are gone.
    """
    feeds = _feeds(db, city_id=city_id)
    found: dict[int, FeedInputs] = defaultdict(FeedInputs)
    if not feeds:
        return found
    s = FeedPullSlot
    stmt = select(
        s.feed_id,
        s.slot_start,
        s.pulls,
        s.failed,
        s.vehicle_pulls,
        s.last_new_at,
        s.snapshots,
        s.vehicles_sum,
        s.vehicles_peak,
    ).where(s.feed_id.in_(feeds), s.slot_start >= period.start, s.slot_start < period.until)
    for row in db.execute(stmt):
        index = int(row.slot_start.timestamp() - period.origin) // SAMPLE_S
        inputs = found[feeds[row.feed_id]]
        was = inputs.slots.get(index, PullSlot())
        inputs.slots[index] = PullSlot(
            pulls=was.pulls + row.pulls,
            failed=was.failed + row.failed,
            vehicle_pulls=was.vehicle_pulls + row.vehicle_pulls,
            last_new=_latest(was.last_new, row.last_new_at),
        )
        if row.snapshots:
            fleet = inputs.fleet.setdefault(row.feed_id, FleetCounts())
            fleet.mean[index] = row.vehicles_sum / row.snapshots
            fleet.peak[index] = int(row.vehicles_peak)
    for feed_id, company_id in feeds.items():
        _read_before(db, feed_id=feed_id, inputs=found[company_id], period=period)
    return found


def _read_before(db: Session, *, feed_id: int, inputs: FeedInputs, period: Period) -> None:
    """The feed's last new vehicle data before the month (within a day): when, and its count."""
    s = FeedPullSlot
    stmt = (
        select(s.last_new_at, s.last_new_vehicles)
        .where(
            s.feed_id == feed_id,
            s.last_new_at.is_not(None),
            s.slot_start >= period.start - NEW_DATA_LOOKBACK,
            s.slot_start < period.start,
        )
        .order_by(s.slot_start.desc())
        .limit(1)
    )
    row = db.execute(stmt).first()
    if row is None:
        return
    inputs.last_new_before = _latest(inputs.last_new_before, row.last_new_at)
    if row.last_new_vehicles is not None and feed_id in inputs.fleet:
        inputs.fleet[feed_id].before = row.last_new_vehicles


def _latest(a: float | None, b: datetime | None) -> float | None:
    if b is None:
        return a
    return b.timestamp() if a is None else max(a, b.timestamp())


def parking_violations(
    db: Session, *, city_id: int, period: Period, companies: list[Company]
) -> dict[int, int]:
    """Parking violations opened in the period, per company involved.

    A violation of one company's vehicles counts for that company; one of several companies'
    (a clutter, a full parking place) counts once for each company it involved.
    """
    v = Violation
    where = (
        v.city_id == city_id,
        v.kind.in_([k.value for k in PARKING_KINDS]),
        v.opened_at >= period.start,
        v.opened_at < period.until,
    )
    own = select(v.company_id, func.count()).where(*where, v.company_id.is_not(None))
    found: dict[int, int] = defaultdict(int)
    for company_id, count in db.execute(own.group_by(v.company_id)):
        if company_id is not None:
            found[company_id] += int(count)
    by_slug = {c.slug: c.id for c in companies}
    for (evidence,) in db.execute(select(v.evidence).where(*where, v.company_id.is_(None))):
        for slug in involved(evidence):
            if slug in by_slug:
                found[by_slug[slug]] += 1
    return found


def involved(evidence: dict[str, Any] | None) -> list[str]:
    """The companies (slugs) whose vehicles a violation of several companies involved."""
    by_company = (evidence or {}).get("by_company", {})
    return [slug for slug, vehicles in by_company.items() if vehicles]


def handovers(db: Session, *, city_id: int, period: Period) -> dict[int, list[HandoverTimes]]:
    """Damaged vehicles handed over in the period (withdrawn ones left out), by company."""
    h = Handover
    stmt = select(h.company_id, h.handed_over_at, h.due_at, h.collected_at, h.resolved_at).where(
        h.city_id == city_id,
        h.handed_over_at >= period.start,
        h.handed_over_at < period.until,
        h.status != HandoverStatus.cancelled.value,
        h.cancelled_at.is_(None),
    )
    found: dict[int, list[HandoverTimes]] = defaultdict(list)
    for company_id, handed, due, collected, resolved in db.execute(stmt):
        # Resolved without a collection time: off the street when it was resolved. A vehicle
        # taken before the handover counts as 0 hours (as damage.figures and the report).
        done = collected or resolved
        if done is not None and done < handed:
            done = handed
        found[int(company_id)].append(
            HandoverTimes(handed.timestamp(), due.timestamp(), done.timestamp() if done else None)
        )
    return found


def trips(db: Session, *, city_id: int, period: Period) -> dict[int, int]:
    """Trips started in the period's local days, from the daily trip rollup, by company."""
    stmt = (
        select(TripRollup.company_id, func.sum(TripRollup.trips))
        .where(
            TripRollup.city_id == city_id,
            TripRollup.local_date >= period.month.first_day,
            TripRollup.local_date < period.month.next().first_day,
        )
        .group_by(TripRollup.company_id)
    )
    return {int(c): int(n or 0) for c, n in db.execute(stmt)}


def put_in_order(db: Session, *, city_id: int, period: Period) -> dict[int, int]:
    """The company's vehicles the operator's scouts put in order in the period."""
    stmt = (
        select(WorkLogCount.company_id, func.sum(WorkLogCount.count))
        .join(WorkLog, WorkLog.id == WorkLogCount.work_log_id)
        .where(
            WorkLog.city_id == city_id,
            WorkLog.finished_at >= period.start,
            WorkLog.finished_at < period.until,
        )
        .group_by(WorkLogCount.company_id)
    )
    return {int(c): int(n or 0) for c, n in db.execute(stmt)}


def complaints(db: Session, *, city_id: int, period: Period) -> dict[int, int]:
    """Complaints received in the period about each company (not rejected as unfounded).

    A complaint concerns a company once staff confirmed the match or routed it to the company;
    a match staff rejected, or a complaint rejected as a whole, does not count.
    """
    c, cc = Complaint, ComplaintCompany
    stmt = (
        select(cc.company_id, func.count(func.distinct(c.id)))
        .join(c, c.id == cc.complaint_id)
        .where(
            c.city_id == city_id,
            c.received_at >= period.start,
            c.received_at < period.until,
            c.status != ComplaintStatus.rejected.value,
            *complaint_matched(),
        )
        .group_by(cc.company_id)
    )
    return {int(company): int(n) for company, n in db.execute(stmt)}


def complaint_matched() -> list[Any]:
    """When a complaint's match concerns the company: confirmed by staff or routed to it, and
    not rejected (the complaint itself must not be rejected either: ``complaints``)."""
    cc = ComplaintCompany
    return [
        cc.state != MatchState.rejected.value,
        or_(cc.state == MatchState.confirmed.value, cc.routed_at.is_not(None)),
    ]
