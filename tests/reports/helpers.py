"""Builders for the scorecard's inputs: each writes the rows the real domain would have written."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tartip.cities.models import City, Company
from tartip.complaints.enums import (
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    MatchOrigin,
    MatchState,
)
from tartip.complaints.models import Complaint, ComplaintCompany
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.damage.enums import HandoverStatus
from tartip.damage.models import CompanyAgreement, DamageCase, Handover
from tartip.feeds import pull_slots
from tartip.feeds.enums import PullOutcome
from tartip.feeds.models import Feed, FeedPull
from tartip.ops.enums import TaskKind, TaskOrigin
from tartip.ops.models import Task, WorkLog, WorkLogCount
from tartip.reports.period import Month, Period, period_for
from tartip.trips.models import Trip, VehicleEvent
from tartip.trips.statistics_models import TripRollup

# June 2026 in Almaty (UTC+5): from 31 May 19:00 UTC to 30 June 19:00 UTC.
START = datetime(2026, 5, 31, 19, tzinfo=UTC)
END = datetime(2026, 6, 30, 19, tzinfo=UTC)
MONTH = "2026-06"
AFTER = datetime(2026, 7, 10, 12, tzinfo=UTC)  # "now" when the month is over
LON, LAT = 76.93, 43.25


def at(days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
    """A moment relative to the start of June 2026 in Almaty."""
    return START + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def pull(
    db: Session,
    feed: Feed,
    when: datetime,
    *,
    outcome: PullOutcome = PullOutcome.ok,
    file: str = "vehicle_status",
    records: int | None = None,
    rejected: int = 0,
) -> None:
    """One fetch of one feed file (``records``: the vehicles a snapshot held)."""
    row = FeedPull(
        city_id=feed.city_id,
        feed_id=feed.id,
        file=file,
        url=f"{feed.url}#{file}",
        started_at=when,
        outcome=outcome,
        records=records,
        records_rejected=rejected,
        error="HTTP 500" if outcome is PullOutcome.error else None,
    )
    db.add(row)
    pull_slots.add(db, [row])
    db.flush()


def violation(
    db: Session,
    city: City,
    company: Company | None,
    kind: ViolationKind,
    opened: datetime,
    *,
    by_company: dict[str, int] | None = None,
    key: str | None = None,
    cleared: datetime | None = None,
    last_seen: datetime | None = None,
) -> None:
    """A violation opened at ``opened`` (of one company, or of several by ``by_company``)."""
    key = key or f"{kind.value}:{uuid.uuid4().hex[:8]}"
    db.add(
        Violation(
            city_id=city.id,
            kind=kind,
            key=key,
            company_id=company.id if company else None,
            count=sum((by_company or {"x": 1}).values()),
            max_count=1,
            lon=LON,
            lat=LAT,
            evidence={"by_company": by_company or {}},
            opened_at=opened,
            last_seen_at=last_seen or cleared or opened,
            cleared_at=cleared,
            closed_at=cleared,
        )
    )
    db.flush()


def agreement(db: Session, company: Company, *, fleet_cap: int | None) -> None:
    """The company's agreement with its fleet cap."""
    db.add(CompanyAgreement(city_id=company.city_id, company_id=company.id, fleet_cap=fleet_cap))
    db.flush()


def handover(
    db: Session,
    company: Company,
    handed_over: datetime,
    *,
    due_h: float = 24,
    collected: datetime | None = None,
    cancelled: bool = False,
) -> None:
    """A damaged vehicle handed over to ``company`` (and maybe collected or withdrawn)."""
    code = f"code-{uuid.uuid4().hex[:8]}"
    case = DamageCase(
        city_id=company.city_id,
        company_id=company.id,
        vehicle_code=code,
        key=f"{company.id}:{code}",
        kinds=["broken"],
        first_reported_at=handed_over,
        last_reported_at=handed_over,
        report_count=1,
    )
    db.add(case)
    db.flush()
    status = HandoverStatus.collected if collected else HandoverStatus.handed_over
    db.add(
        Handover(
            city_id=company.city_id,
            case_id=case.id,
            company_id=company.id,
            reference=f"H-{uuid.uuid4().hex[:10]}",
            status=HandoverStatus.cancelled if cancelled else status,
            handed_over_at=handed_over,
            due_at=handed_over + timedelta(hours=due_h),
            collected_at=collected,
            cancelled_at=handed_over + timedelta(hours=1) if cancelled else None,
        )
    )
    db.flush()


def complaint(
    db: Session,
    received: datetime,
    companies: dict[Company, dict[str, Any]],
    *,
    status: ComplaintStatus = ComplaintStatus.received,
) -> None:
    """A complaint received at ``received`` about ``companies`` (each: state, routed)."""
    city_id = next(iter(companies)).city_id
    row = Complaint(
        city_id=city_id,
        reference=f"C-{uuid.uuid4().hex[:10]}",
        source=ComplaintSource.citizen,
        category=ComplaintCategory.badly_parked,
        status=status,
        lon=LON,
        lat=LAT,
        occurred_at=received,
        received_at=received,
        due_at=received + timedelta(days=1),
    )
    db.add(row)
    db.flush()
    for company, link in companies.items():
        db.add(
            ComplaintCompany(
                city_id=city_id,
                complaint_id=row.id,
                company_id=company.id,
                origin=MatchOrigin.live,
                state=link.get("state", MatchState.suggested),
                routed_at=received if link.get("routed") else None,
            )
        )
    db.flush()


def trips(db: Session, company: Company, day: date, count: int, *, hour: int = 12) -> None:
    """A day's trips of ``company`` in the daily trip rollup."""
    db.add(
        TripRollup(
            city_id=company.city_id,
            company_id=company.id,
            local_date=day,
            hour=hour,
            start_district=0,
            end_district=0,
            trips=count,
            duration_s=600 * count,
            distance_m=1500 * count,
        )
    )
    db.flush()


def put_in_order(db: Session, counts: dict[Company, int], finished: datetime) -> None:
    """A scout's finished task that put ``counts`` vehicles of each company in order."""
    city_id = next(iter(counts)).city_id
    task = Task(
        city_id=city_id, kind=TaskKind.tidy_cluster, origin=TaskOrigin.manual, lon=LON, lat=LAT
    )
    db.add(task)
    db.flush()
    log = WorkLog(
        city_id=city_id, task_id=task.id, finished_at=finished, total=sum(counts.values())
    )
    db.add(log)
    db.flush()
    for company, count in counts.items():
        db.add(
            WorkLogCount(city_id=city_id, work_log_id=log.id, company_id=company.id, count=count)
        )
    db.flush()


def mds_trip(db: Session, company: Company, trip_id: str, device: str, start: datetime) -> None:
    """An MDS trip of ``device`` starting at ``start`` (10 minutes long)."""
    db.add(
        Trip(
            city_id=company.city_id,
            company_id=company.id,
            trip_id=trip_id,
            device_id=device,
            source="provider",
            start_time=start,
            end_time=start + timedelta(minutes=10),
            duration_s=600,
            distance_m=1500,
            start_lon=LON,
            start_lat=LAT,
            end_lon=LON,
            end_lat=LAT,
        )
    )
    db.flush()


def mds_event(
    db: Session,
    company: Company,
    device: str,
    types: list[str],
    when: datetime,
    *,
    trips: list[str] | None = None,
    received: datetime | None = None,
    flagged: bool = False,
) -> None:
    """An MDS vehicle event of ``device`` (received when it happened unless told)."""
    db.add(
        VehicleEvent(
            city_id=company.city_id,
            company_id=company.id,
            device_id=device,
            event_id=str(uuid.uuid4()),
            event_types=types,
            event_types_key=",".join(types),
            vehicle_state="on_trip" if "trip_start" in types else "available",
            timestamp=when,
            trip_ids=trips or [],
            source="provider",
            received_at=received or when,
            flagged=flagged,
            flag_reason="impossible" if flagged else None,
        )
    )
    db.flush()


def june() -> Period:
    """June 2026 in Almaty, complete."""
    return period_for(Month(2026, 6), timezone="Asia/Almaty", now=AFTER)
