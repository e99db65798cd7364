"""Pulling a company's MDS Provider API: what is due, page by page, resumable and logged.

One ``pull_feed`` asks, in this order, for each endpoint the feed is configured with:

1. ``vehicles`` (at most hourly) and ``vehicles/status`` (every pull): all pages (``links.next``),
   stored as vehicles and their last events.
2. ``events/recent``: the window from where the last one ended to now.
3. ``trips``, ``events/historical``, ``telemetry``: whole UTC hours, first the pending ones whose
   retry time came, then new hours from ``PullProgress.next_at`` up to the last finished hour
   (at most ``mds_max_hours_per_pull`` new hours per pull, so a backfill is spread over pulls).
   An answer 202 (not ready), or 404 within ``mds_not_found_grace_s`` after the hour, puts the
   hour on the pending list, asked again after ``mds_retry_s`` doubled per attempt; a 404 after
   the grace means the company had no data for the hour (MDS: "not operating"). A failed fetch
   also leaves the hour pending and stops that endpoint for this pull. Hours pending longer than
   ``mds_give_up_after_s`` are given up, and the pull log says so.
4. ``reports``: each finished month once, from the month of the feed's start.

Every fetch becomes a ``FeedPull`` row (status, latency, bytes, records, rejected records with
their JSON path, schema problems, flagged events), so feed availability and freshness are scored
from the same log as GBFS feeds. Progress is written in the same transaction as the records: a
restart resumes where the last committed pull stopped, and a re-pulled hour adds nothing twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.core.errors import Problem
from tartip.db import bulk
from tartip.feeds import health, store
from tartip.feeds.adapters.base import FileReport
from tartip.feeds.enums import FeedHealth, FeedProtocol, MdsEndpoint, PullOutcome
from tartip.feeds.mds_provider import MdsConfig, auth_of, config_of
from tartip.feeds.models import Feed
from tartip.settings import Settings
from tartip.trips import ingest
from tartip.trips.enums import HOUR_PARAMETER, Source
from tartip.trips.mds_http import Answer, CachedToken, ProviderClient
from tartip.trips.models import MdsReport, PullProgress
from tartip.trips.provider_read import PageRead, ReportRow, read_page, read_report
from tartip.trips.records import EventRecord, StatusRecord, TelemetryRecord, TripRecord

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
VEHICLES_EVERY = timedelta(hours=1)
# events/recent covers at most the last two weeks (MDS); a longer gap is left to historical.
RECENT_MAX = timedelta(days=13)
ORDER = (
    MdsEndpoint.vehicles,
    MdsEndpoint.vehicles_status,
    MdsEndpoint.events_recent,
    MdsEndpoint.trips,
    MdsEndpoint.events_historical,
    MdsEndpoint.telemetry,
    MdsEndpoint.reports,
)
MAX_NOTES = 20


@dataclass
class PullResult:
    """What one pull of one feed did."""

    feed_id: int
    health: FeedHealth
    fetches: int = 0
    records: int = 0
    new: int = 0
    duplicates: int = 0
    flagged: int = 0
    rejected: int = 0
    pending: int = 0
    error: str | None = None
    duration_ms: float = 0.0


@dataclass
class _Run:
    """One pull in progress: the feed, its settings, the client and what was fetched."""

    db: Session
    feed: Feed
    config: MdsConfig
    client: ProviderClient
    settings: Settings
    now: datetime
    files: list[FileReport] = field(default_factory=list)
    result: PullResult = field(init=False)
    main: FileReport | None = None
    # Vehicles in the company's current status snapshot (all pages), when it was read.
    vehicle_count: int | None = None
    fleet: ingest.Fleet = field(init=False)

    def __post_init__(self) -> None:
        self.result = PullResult(feed_id=self.feed.id, health=FeedHealth(self.feed.health))
        self.fleet = ingest.Fleet(self.db, self.feed.company_id)

    @property
    def version(self) -> str:
        """The MDS version asked for."""
        return self.feed.version or "2.0"

    def url(self, endpoint: MdsEndpoint, **query: str) -> str:
        """The absolute URL of ``endpoint`` with ``query``."""
        base = urljoin(self.feed.url, self.config.path(endpoint, self.version))
        return f"{base}?{urlencode(query)}" if query else base


def due_feeds(db: Session, *, city_id: int, now: datetime) -> list[Feed]:
    """The city's enabled MDS Provider feeds whose next pull is due, the most overdue first."""
    stmt = (
        select(Feed)
        .where(Feed.city_id == city_id, Feed.enabled.is_(True))
        .where(Feed.protocol == FeedProtocol.mds_provider)
        .where((Feed.next_poll_at.is_(None)) | (Feed.next_poll_at <= now))
        .order_by(Feed.next_poll_at.is_not(None), Feed.next_poll_at, Feed.id)
    )
    return list(db.scalars(stmt))


def pull_feed(
    db: Session,
    *,
    feed: Feed,
    http: httpx.Client,
    settings: Settings,
    tokens: dict[int, CachedToken],
    now: datetime,
) -> PullResult:
    """Pull what is due from one Provider feed, store it, log every fetch and assess health."""
    started = time.perf_counter()
    client = ProviderClient(
        http,
        feed_id=feed.id,
        version=feed.version or "2.0",
        auth=auth_of(feed),
        tokens=tokens,
        max_bytes=settings.max_feed_bytes,
    )
    run = _Run(db=db, feed=feed, config=config_of(feed), client=client, settings=settings, now=now)
    for endpoint in ORDER:
        if endpoint in (run.config.endpoints or ()):
            if not PULLERS[endpoint](run, endpoint):
                break  # the server failed: the other endpoints wait for the next pull
    store.add_pulls(db, feed=feed, files=run.files)
    _assess(run)
    run.result.fetches = len(run.files)
    run.result.duration_ms = round(1000 * (time.perf_counter() - started), 1)
    _log(run.result)
    return run.result


# --- one fetch ----------------------------------------------------------------------------------


def _fetch(run: _Run, endpoint: MdsEndpoint, url: str, label: str) -> tuple[FileReport, Answer]:
    report = FileReport(file=label[:64], url=url, started_at=run.now)
    answer = run.client.get(url, csv=endpoint is MdsEndpoint.reports)
    report.http_status = answer.status
    report.latency_ms = answer.latency_ms
    report.bytes = len(answer.body) if answer.body else None
    # 202 and 404 are answers about an hour or a month ("not ready", "no data"), not failures;
    # for the other endpoints a 404 means the company does not serve them.
    waits = endpoint in HOUR_PARAMETER or endpoint is MdsEndpoint.reports
    if answer.error is not None and not (waits and answer.status in (202, 404)):
        report.fail(f"{endpoint.value} {answer.error}")
    run.files.append(report)
    return report, answer


def _read(run: _Run, endpoint: MdsEndpoint, report: FileReport, answer: Answer) -> PageRead | None:
    page = read_page(
        answer.body,
        endpoint=endpoint,
        version=run.version,
        sample=run.settings.mds_schema_sample_records,
    )
    if page.error is not None:
        report.fail(f"{endpoint.value}: {page.error}")
        return None
    report.records = page.total
    report.rejected = page.rejected
    report.schema = page.schema
    report.sampled = page.sampled
    report.notes = page.notes
    report.version = page.version
    report.last_updated = page.last_updated_ms / 1000 if page.last_updated_ms else None
    report.ttl = int(page.ttl_ms / 1000) if page.ttl_ms is not None else None
    run.result.records += page.total
    run.result.rejected += len(page.rejected)
    return page


def _pages(
    run: _Run, endpoint: MdsEndpoint, url: str, label: str
) -> tuple[list[PageRead], Answer, FileReport]:
    """Every page from ``url`` on (``links.next``); stops at the first failed or non-200 one."""
    pages: list[PageRead] = []
    seen: set[str] = set()
    while True:
        report, answer = _fetch(run, endpoint, url, label)
        if answer.status != 200 or report.outcome is PullOutcome.error:
            return pages, answer, report
        page = _read(run, endpoint, report, answer)
        if page is None:
            return pages, answer, report
        pages.append(page)
        seen.add(url)
        next_url = urljoin(url, page.next_url) if page.next_url else None
        if next_url is None or next_url in seen or len(pages) >= run.settings.mds_max_pages:
            if next_url is not None and next_url not in seen:
                report.notes.append(Problem("links.next", "page limit reached; rest not read"))
            return pages, answer, report
        if urlsplit(next_url).netloc != urlsplit(url).netloc:
            report.notes.append(Problem("links.next", f"{next_url} is on another host; not read"))
            return pages, answer, report
        url = next_url


def _store(run: _Run, endpoint: MdsEndpoint, page: PageRead, report: FileReport) -> None:
    feed, db = run.feed, run.db
    common: dict[str, Any] = {
        "city_id": feed.city_id,
        "company_id": feed.company_id,
        "source": Source.provider.value,
        "now": run.now,
    }
    records = page.records
    if not records:
        return
    first = records[0]
    if isinstance(first, TelemetryRecord):
        stored = ingest.store_telemetry(db, points=records, **common)
    elif isinstance(first, TripRecord):
        stored = ingest.store_trips(db, trips=records, fleet=run.fleet, **common)
    elif isinstance(first, EventRecord):
        stored = ingest.store_events(db, events=records, fleet=run.fleet, **common)
    elif isinstance(first, StatusRecord):
        stored = ingest.apply_statuses(db, statuses=records, fleet=run.fleet, **common)
    else:
        stored = ingest.upsert_vehicles(db, vehicles=records, fleet=run.fleet, **common)
    run.result.new += stored.new
    run.result.duplicates += stored.duplicates
    run.result.flagged += stored.flagged
    if stored.flagged:
        report.notes.append(
            Problem(endpoint.value, f"{stored.flagged} event(s) flagged: impossible transitions")
        )
        report.notes += [Problem(f"event {eid}", why) for eid, why in stored.flags[:MAX_NOTES]]


# --- snapshots: vehicles, vehicles/status ----------------------------------------------------


def _pull_snapshot(run: _Run, endpoint: MdsEndpoint) -> bool:
    progress = _progress(run, endpoint)
    # With vehicles/status (2.0) the vehicle list changes rarely: read hourly. Without it (1.2),
    # ``vehicles`` carries each vehicle's status and is read every pull.
    hourly = endpoint is MdsEndpoint.vehicles and _live_status(run)
    if hourly and progress.next_at and progress.next_at > run.now:
        return True
    pages, answer, report = _pages(run, endpoint, run.url(endpoint), endpoint.name)
    if endpoint is MdsEndpoint.vehicles_status or not _live_status(run):
        run.main = report
    for page in pages:
        _store(run, endpoint, page, report)
    if pages and run.main is report:
        run.vehicle_count = sum(p.total for p in pages)
    ok = answer.status == 200 and report.outcome is not PullOutcome.error
    _mark(progress, run, ok=ok, error=report.error, records=sum(p.total for p in pages))
    if ok and hourly:
        progress.next_at = run.now + VEHICLES_EVERY
    return _server_answered(answer)


def _live_status(run: _Run) -> bool:
    return MdsEndpoint.vehicles_status in (run.config.endpoints or ())


# --- events/recent ----------------------------------------------------------------------------


def _pull_recent(run: _Run, endpoint: MdsEndpoint) -> bool:
    progress = _progress(run, endpoint)
    start = progress.next_at or max(run.config.start or run.now - HOUR, run.now - HOUR)
    start = max(start, run.now - RECENT_MAX)
    end = run.now
    query = {"start_time": str(ingest.ms_of(start)), "end_time": str(ingest.ms_of(end))}
    pages, answer, report = _pages(run, endpoint, run.url(endpoint, **query), endpoint.name)
    for page in pages:
        _store(run, endpoint, page, report)
    ok = answer.status == 200 and report.outcome is not PullOutcome.error
    _mark(progress, run, ok=ok, error=report.error, records=sum(p.total for p in pages))
    if ok:
        progress.next_at = end
    return _server_answered(answer)


# --- hourly: trips, events/historical, telemetry ---------------------------------------------


def _pull_hours(run: _Run, endpoint: MdsEndpoint) -> bool:
    progress = _progress(run, endpoint)
    pending = [dict(p) for p in progress.pending or []]
    due = [p for p in pending if datetime.fromisoformat(p["retry_at"]) <= run.now]
    keep = [p for p in pending if p not in due]
    answered = True
    for index, entry in enumerate(due):
        hour = datetime.fromisoformat(entry["hour"])
        outcome = _pull_hour(run, endpoint, hour, attempts=int(entry["attempts"]))
        if outcome is not None:
            keep.append(outcome)
            if outcome["status"] == "error" and not outcome["answered"]:
                keep += due[index + 1 :]  # not asked in this pull: kept as they were
                answered = False
                break
    if answered:
        answered = _pull_new_hours(run, endpoint, progress, keep)
    progress.pending = _give_up(run, endpoint, keep)
    run.result.pending += len(progress.pending)
    return answered


def _pull_new_hours(
    run: _Run, endpoint: MdsEndpoint, progress: PullProgress, keep: list[dict[str, Any]]
) -> bool:
    """Ask for the hours after ``next_at`` that have finished; stop at the first not ready."""
    last_finished = run.now.replace(minute=0, second=0, microsecond=0) - HOUR
    hour = progress.next_at or _first_hour(run)
    for _ in range(run.settings.mds_max_hours_per_pull):
        if hour > last_finished:
            break
        outcome = _pull_hour(run, endpoint, hour, attempts=0)
        progress.next_at = hour + HOUR
        hour += HOUR
        if outcome is not None:
            keep.append(outcome)
            # Not ready (or failed): later hours will not be ready either; next pull asks again.
            return outcome["status"] != "error" or bool(outcome["answered"])
    return True


def _first_hour(run: _Run) -> datetime:
    start = run.config.start or (run.now - timedelta(days=1))
    return start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _pull_hour(
    run: _Run, endpoint: MdsEndpoint, hour: datetime, *, attempts: int
) -> dict[str, Any] | None:
    """Fetch and store one hour; None when done, else its pending entry (not ready, or failed)."""
    label = f"{endpoint.name} {hour:%Y-%m-%dT%H}"
    url = run.url(endpoint, **{HOUR_PARAMETER[endpoint]: f"{hour:%Y-%m-%dT%H}"})
    pages, answer, report = _pages(run, endpoint, url, label)
    if endpoint is MdsEndpoint.trips and run.main is None:
        run.main = report
    progress = _progress(run, endpoint)
    if answer.status == 200 and report.outcome is not PullOutcome.error:
        for page in pages:
            _store(run, endpoint, page, report)
        _mark(progress, run, ok=True, error=None, records=sum(p.total for p in pages))
        return None
    if answer.status == 404 and run.now - (hour + HOUR) > _grace(run):
        report.notes.append(Problem("hour", "404: the company has no data for this hour"))
        _mark(progress, run, ok=True, error=None, records=0)
        return None
    status = "error"
    if answer.status in (202, 404):
        status = str(answer.status)
        report.outcome = PullOutcome.not_ready
        report.notes.append(Problem("hour", f"{answer.status}: not ready yet; asked again later"))
    else:
        _mark(progress, run, ok=False, error=report.error, records=0)
    delay = min(run.settings.mds_retry_s * 2**attempts, run.settings.mds_retry_max_s)
    return {
        "hour": hour.isoformat(),
        "status": status,
        "attempts": attempts + 1,
        "retry_at": (run.now + timedelta(seconds=delay)).isoformat(),
        "answered": _server_answered(answer),
    }


def _grace(run: _Run) -> timedelta:
    return timedelta(seconds=run.settings.mds_not_found_grace_s)


def _give_up(
    run: _Run, endpoint: MdsEndpoint, pending: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The pending hours still worth asking; the others are logged as given up."""
    limit = timedelta(seconds=run.settings.mds_give_up_after_s)
    kept = []
    for entry in sorted(pending, key=lambda p: str(p["hour"])):
        hour = datetime.fromisoformat(entry["hour"])
        if run.now - hour > limit:
            report = FileReport(
                file=f"{endpoint.name} {hour:%Y-%m-%dT%H}"[:64],
                url=run.url(endpoint),
                started_at=run.now,
            )
            report.fail(
                f"{endpoint.value} for {hour:%Y-%m-%dT%H}: not ready after "
                f"{entry['attempts']} attempts; given up"
            )
            run.files.append(report)
            continue
        kept.append(entry)
    return kept


# --- reports ------------------------------------------------------------------------------------


def _pull_reports(run: _Run, endpoint: MdsEndpoint) -> bool:
    progress = _progress(run, endpoint)
    month = progress.next_at or _first_hour(run).replace(day=1, hour=0)
    this_month = run.now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if month >= this_month:
        return True
    label = f"reports {month:%Y-%m}"
    report, answer = _fetch(run, endpoint, run.url(endpoint, start_time=f"{month:%Y-%m}"), label)
    if answer.status == 200 and report.outcome is not PullOutcome.error:
        rows, problems = read_report(answer.body)
        report.records, report.rejected = len(rows) + len(problems), problems
        _store_report(run, rows)
    elif answer.status == 404:
        report.notes.append(Problem("month", "404: no report for this month"))
    else:
        _mark(progress, run, ok=False, error=report.error, records=0)
        return _server_answered(answer)
    _mark(progress, run, ok=True, error=None, records=report.records or 0)
    progress.next_at = (month + timedelta(days=32)).replace(day=1)
    return True


def _store_report(run: _Run, rows: list[ReportRow]) -> None:
    records = [
        {
            "city_id": run.feed.city_id,
            "company_id": run.feed.company_id,
            "start_date": row.start_date,
            "duration": row.duration,
            "special_group_type": row.special_group_type,
            "geography_id": row.geography_id,
            "vehicle_type": row.vehicle_type,
            "trip_count": row.trip_count,
            "rider_count": row.rider_count,
            "source": Source.provider.value,
            "received_at": run.now,
        }
        for row in rows
    ]
    run.result.new += bulk.insert_new(run.db, MdsReport.__table__, records)  # type: ignore[arg-type]


# --- progress and health ----------------------------------------------------------------------


def _progress(run: _Run, endpoint: MdsEndpoint) -> PullProgress:
    stmt = select(PullProgress).where(
        PullProgress.feed_id == run.feed.id, PullProgress.endpoint == endpoint.value
    )
    found = run.db.scalars(stmt).first()
    if found is None:
        found = PullProgress(
            city_id=run.feed.city_id, feed_id=run.feed.id, endpoint=endpoint.value, pending=[]
        )
        run.db.add(found)
        run.db.flush()
    return found


def _mark(progress: PullProgress, run: _Run, *, ok: bool, error: str | None, records: int) -> None:
    progress.last_attempt_at = run.now
    if ok:
        progress.last_success_at = run.now
        progress.last_error = None
        progress.records_total = (progress.records_total or 0) + records
    else:
        progress.last_error = error


def _server_answered(answer: Answer) -> bool:
    """Whether the company's server answered at all (else the pull stops for now)."""
    return answer.status is not None and answer.status < 500 and answer.status != 401


def _assess(run: _Run) -> None:
    feed, settings, now = run.feed, run.settings, run.now
    main = run.main or (run.files[0] if run.files else None)
    before = health.Before(
        health=FeedHealth(feed.health),
        consecutive_failures=feed.consecutive_failures,
        data_updated_at=feed.data_updated_at,
    )
    if main is None:  # nothing was due
        feed.next_poll_at = now + timedelta(seconds=settings.mds_pull_interval_s)
        return
    after = health.assess(
        before,
        outcome=main.outcome,
        error=main.error,
        last_updated=main.last_updated,
        ttl=None,
        now=now,
        settings=settings,
    )
    feed.health = after.health
    feed.consecutive_failures = after.consecutive_failures
    feed.last_attempt_at = now
    feed.data_updated_at = after.data_updated_at
    if after.success:
        feed.last_success_at = now
        feed.last_error = None
        feed.next_poll_at = now + timedelta(seconds=settings.mds_pull_interval_s)
    else:
        feed.last_error = after.error
        feed.next_poll_at = after.next_poll_at
    if run.vehicle_count is not None:
        feed.vehicle_count = run.vehicle_count
    run.result.health = after.health
    run.result.error = after.error


def _log(result: PullResult) -> None:
    if result.error:
        log.warning("MDS feed %s: %s (%s)", result.feed_id, result.error, result.health)
        return
    log.info(
        "MDS feed %s pulled in %.0f ms: %d fetches, %d records (%d new, %d duplicates, "
        "%d rejected, %d flagged), %d hours pending",
        result.feed_id,
        result.duration_ms,
        result.fetches,
        result.records,
        result.new,
        result.duplicates,
        result.rejected,
        result.flagged,
        result.pending,
    )


PULLERS: dict[MdsEndpoint, Callable[[_Run, MdsEndpoint], bool]] = {
    MdsEndpoint.vehicles: _pull_snapshot,
    MdsEndpoint.vehicles_status: _pull_snapshot,
    MdsEndpoint.events_recent: _pull_recent,
    MdsEndpoint.trips: _pull_hours,
    MdsEndpoint.events_historical: _pull_hours,
    MdsEndpoint.telemetry: _pull_hours,
    MdsEndpoint.reports: _pull_reports,
}
