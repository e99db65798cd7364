"""Use cases of feeds: registering a company's feed, reading feeds and their pulls, and polling.

People's changes (``register``, ``update``, ``set_enabled``) are written to the audit trail.
``poll`` is the hot path, run by the ``feeds.poll_due`` job: fetch → read → check → diff → write,
in the caller's transaction (the job gives each feed its own savepoint).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.audit.service import Actor
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City, Company
from tartip.core.errors import Conflict, InvalidInput, NotFound, Problem
from tartip.core.jobs import JobContext
from tartip.feeds import health, store
from tartip.feeds.adapters import ADAPTERS
from tartip.feeds.adapters.base import FeedSource, FileReport, PullReport
from tartip.feeds.enums import FeedHealth, PullOutcome
from tartip.feeds.models import Feed, FeedPull
from tartip.feeds.schemas import FeedUpdate
from tartip.fleet import live
from tartip.settings import Settings

log = logging.getLogger(__name__)

CLI_ACTOR = Actor(user_id=None, label="cli")
MANAGERS = (Role.supervisor,)  # and admins, who always pass ``Scope.require``


@dataclass
class PollResult:
    """What one poll did."""

    feed_id: int
    health: FeedHealth
    outcome: PullOutcome | None
    pulls: int
    vehicles: int | None
    changes: live.SnapshotResult | None
    error: str | None
    duration_ms: float


# --- reading ----------------------------------------------------------------------------------


def get(db: Session, *, scope: Scope, feed_id: int) -> Feed | None:
    """The feed with this id, if the caller may see it (their city; a representative's company)."""
    feed = db.get(Feed, feed_id)
    if feed is None or feed.city_id != scope.city_id:
        return None
    if scope.company_id is not None and feed.company_id != scope.company_id:
        return None
    return feed


def get_or_raise(db: Session, *, scope: Scope, feed_id: int) -> Feed:
    """The feed with this id, or ``NotFound`` (also when the caller may not see it)."""
    feed = get(db, scope=scope, feed_id=feed_id)
    if feed is None:
        raise NotFound(f"no feed {feed_id}")
    return feed


def list_feeds(db: Session, *, scope: Scope, company_id: int | None = None) -> list[Feed]:
    """The feeds the caller may see, by company then id."""
    stmt = select(Feed).where(Feed.city_id == scope.city_id).order_by(Feed.company_id, Feed.id)
    company_ids = scope.visible_company_ids([company_id] if company_id is not None else None)
    if company_ids is not None:
        stmt = stmt.where(Feed.company_id.in_(company_ids))
    return list(db.scalars(stmt))


def list_pulls(db: Session, *, scope: Scope, feed_id: int, limit: int = 50) -> list[FeedPull]:
    """A feed's most recent pulls, newest first."""
    feed = get_or_raise(db, scope=scope, feed_id=feed_id)
    stmt = (
        select(FeedPull)
        .where(FeedPull.feed_id == feed.id)
        .order_by(FeedPull.started_at.desc(), FeedPull.id.desc())
        .limit(limit)
    )
    return list(db.scalars(stmt))


def recent_pulls(db: Session, *, feeds: list[Feed], per_feed: int = 5) -> dict[int, list[FeedPull]]:
    """The latest ``per_feed`` pulls of each feed (for the feed-health page)."""
    found: dict[int, list[FeedPull]] = {feed.id: [] for feed in feeds}
    for feed in feeds:
        stmt = (
            select(FeedPull)
            .where(FeedPull.feed_id == feed.id)
            .order_by(FeedPull.started_at.desc(), FeedPull.id.desc())
            .limit(per_feed)
        )
        found[feed.id] = list(db.scalars(stmt))
    return found


def due_feeds(db: Session, *, city_id: int, now: datetime) -> list[Feed]:
    """The city's enabled feeds whose next poll is due, the most overdue first."""
    stmt = (
        select(Feed)
        .where(Feed.city_id == city_id, Feed.enabled.is_(True))
        # MDS Provider feeds are pulled by the trips domain's job, not polled here.
        .where(Feed.protocol.in_(list(ADAPTERS)))
        .where((Feed.next_poll_at.is_(None)) | (Feed.next_poll_at <= now))
        .order_by(Feed.next_poll_at.is_not(None), Feed.next_poll_at, Feed.id)
    )
    return list(db.scalars(stmt))


# --- people's changes -------------------------------------------------------------------------


def check_url(
    url: str, *, where: str = "url", expected: str = "https://host/…/gbfs.json or a GBFS file URL"
) -> str:
    """``url`` stripped, or ``InvalidInput`` (on ``where``) unless an absolute http(s) URL."""
    url = url.strip()
    parts = urlsplit(url)
    name = "feed URL" if where == "url" else where
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(
            f"the {name} must be an absolute http(s) URL",
            problems=[Problem(where, f"expected {expected}")],
        )
    if len(url) > 2000:
        raise InvalidInput(f"the {name} is too long", problems=[Problem(where, "max 2000")])
    return url


def register(
    db: Session, *, scope: Scope | None, company_id: int, url: str, language: str | None = None
) -> Feed:
    """Register a company's feed by its ``gbfs.json`` or single-file URL (supervisors, admins).

    ``scope`` None is the command line (audited as ``cli``). The first poll happens at once.
    """
    if scope is not None:
        scope.require(*MANAGERS)
    company = db.get(Company, company_id)
    if company is None or (scope is not None and company.city_id != scope.city_id):
        raise NotFound(f"no company {company_id}")
    url = check_url(url)
    clash = select(Feed.id).where(Feed.company_id == company.id, Feed.url == url)
    if db.scalars(clash).first() is not None:
        raise Conflict(f"{company.name} already has a feed at {url}")
    feed = Feed(city_id=company.city_id, company_id=company.id, url=url, language=language)
    db.add(feed)
    db.flush()
    audit.record(
        db,
        actor=scope.actor if scope is not None else CLI_ACTOR,
        action="feed.register",
        entity_type="feed",
        entity_id=feed.id,
        city_id=feed.city_id,
        after={"company_id": company.id, "url": url, "language": language},
    )
    return feed


def ensure_feed(
    db: Session, *, city_id: int, company_id: int, url: str, language: str | None = None
) -> Feed:
    """The company's feed pointed at ``url`` (created, or re-pointed): for seeding, not audited."""
    url = check_url(url)
    stmt = select(Feed).where(
        Feed.city_id == city_id,
        Feed.company_id == company_id,
        Feed.protocol.in_(list(ADAPTERS)),  # never re-point the company's MDS Provider feed
    )
    feed = db.scalars(stmt.order_by(Feed.id)).first()
    if feed is None:
        feed = Feed(city_id=city_id, company_id=company_id, url=url, language=language)
        db.add(feed)
    elif feed.url != url:
        feed.url = url
        feed.feed_urls, feed.file_state, feed.version = {}, {}, None
        feed.next_poll_at = None
    db.flush()
    return feed


def update(db: Session, *, scope: Scope, feed_id: int, data: FeedUpdate) -> Feed:
    """Change a feed's language or switch it on or off (supervisors, admins)."""
    scope.require(*MANAGERS)
    feed = get_or_raise(db, scope=scope, feed_id=feed_id)
    changes = data.model_dump(exclude_unset=True)
    before = {key: getattr(feed, key) for key in changes}
    for key, value in changes.items():
        setattr(feed, key, value)
    if "language" in changes and changes["language"] != before["language"]:
        # Another language may list other URLs: discover again on the next poll.
        feed.feed_urls, feed.file_state = {}, {}
    if changes.get("enabled") is False and before.get("enabled") is True:
        live.mark_feed_stale(db, feed_id=feed.id, stale=True)
        feed.next_poll_at = None
    if changes.get("enabled") is True and before.get("enabled") is False:
        feed.next_poll_at = None  # poll at once
    if changes != before:
        audit.record(
            db,
            actor=scope.actor,
            action="feed.update",
            entity_type="feed",
            entity_id=feed.id,
            city_id=feed.city_id,
            before=before,
            after=changes,
        )
    return feed


def set_enabled(db: Session, *, scope: Scope, feed_id: int, enabled: bool) -> Feed:
    """Switch a feed on or off; a disabled feed's vehicles are kept and shown as stale."""
    return update(db, scope=scope, feed_id=feed_id, data=FeedUpdate(enabled=enabled))


# --- polling ----------------------------------------------------------------------------------


def poll(db: Session, *, ctx: JobContext, feed: Feed, now: datetime) -> PollResult:
    """Poll ``feed`` once: fetch what is due, store it, apply the vehicles, update its health."""
    started = time.perf_counter()
    settings: Settings = ctx.settings
    adapter = ADAPTERS[feed.protocol](client=ctx.http, settings=settings)
    report = adapter.pull(_source(db, feed), now=now)
    main = report.main
    after = _assess(feed, main, report, now=now, settings=settings)
    was_stale = feed.health in health.STALE_HEALTH
    _save_source(feed, report)
    store.store_static(db, feed=feed, report=report, now=now)
    store.add_pulls(db, feed=feed, files=report.files)
    changes = None
    if report.vehicles is not None:
        changes = live.apply_snapshot(
            db,
            state=live.live_state(ctx.state),
            feed_id=feed.id,
            city_id=feed.city_id,
            company_id=feed.company_id,
            observations=report.vehicles.observations,
            at=now,
            refresh_s=settings.live_refresh_s,
            stale=after.stale,
        )
        feed.vehicle_count = len(report.vehicles.observations)
    if after.stale != was_stale:
        live.mark_feed_stale(db, feed_id=feed.id, stale=after.stale)
    _save_health(feed, after, now=now)
    result = PollResult(
        feed_id=feed.id,
        health=after.health,
        outcome=main.outcome if main is not None else None,
        pulls=len(report.files),
        vehicles=feed.vehicle_count,
        changes=changes,
        error=after.error,
        duration_ms=round(1000 * (time.perf_counter() - started), 1),
    )
    _log(feed, result)
    return result


def mark_unhealthy(
    db: Session, *, feed: Feed, now: datetime, error: str, settings: Settings
) -> PollResult:
    """Count a failed poll that produced no report (Tartip itself failed): logged as a pull."""
    before = _before(feed)
    after = health.assess(
        before, outcome=None, error=error, last_updated=None, ttl=None, now=now, settings=settings
    )
    report = FileReport(file="poll", url=feed.url, started_at=now)
    report.fail(error)
    store.add_pulls(db, feed=feed, files=[report])
    if after.stale and before.health not in health.STALE_HEALTH:
        live.mark_feed_stale(db, feed_id=feed.id, stale=True)
    _save_health(feed, after, now=now)
    return PollResult(
        feed.id, after.health, PullOutcome.error, 1, feed.vehicle_count, None, error, 0
    )


def _source(db: Session, feed: Feed) -> FeedSource:
    city = db.get(City, feed.city_id)
    return FeedSource(
        url=feed.url,
        language=feed.language,
        default_locale=city.default_locale if city is not None else None,
        version=feed.version,
        feed_urls=dict(feed.feed_urls or {}),
        file_state={k: dict(v) for k, v in (feed.file_state or {}).items()},
        station_coords=store.station_coords(db, feed_id=feed.id),
    )


def _before(feed: Feed) -> health.Before:
    return health.Before(
        health=FeedHealth(feed.health),
        consecutive_failures=feed.consecutive_failures,
        data_updated_at=feed.data_updated_at,
    )


def _assess(
    feed: Feed, main: FileReport | None, report: PullReport, *, now: datetime, settings: Settings
) -> health.After:
    state = report.source.file_state.get(report.main_file or "") or {}
    return health.assess(
        _before(feed),
        outcome=main.outcome if main is not None else None,
        error=f"{main.file}: {main.error}" if main is not None and main.error else None,
        last_updated=main.last_updated if main is not None and main.last_updated else None,
        ttl=main.ttl if main is not None and main.ttl is not None else state.get("ttl"),
        now=now,
        settings=settings,
    )


def _save_source(feed: Feed, report: PullReport) -> None:
    source = report.source
    file_state = source.file_state
    if report.system is not None:
        file_state.setdefault("system_information", {})["info"] = report.system
    if report.geofences is not None:
        file_state.setdefault("geofencing_zones", {})["global_rules"] = (
            report.geofences.global_rules
        )
    feed.version = source.version[:16] if source.version else None
    feed.feed_urls = source.feed_urls
    feed.file_state = file_state


def _save_health(feed: Feed, after: health.After, *, now: datetime) -> None:
    feed.health = after.health
    feed.consecutive_failures = after.consecutive_failures
    feed.last_attempt_at = now
    feed.next_poll_at = after.next_poll_at
    feed.data_updated_at = after.data_updated_at
    if after.success:
        feed.last_success_at = now
        feed.last_error = None
    else:
        feed.last_error = after.error


def _log(feed: Feed, result: PollResult) -> None:
    if result.error:
        log.warning("feed %s: %s (%s)", feed.id, result.error, result.health)
        return
    log.debug(
        "feed %s polled in %.0f ms: %s, %s vehicles, %s",
        feed.id,
        result.duration_ms,
        result.outcome,
        result.vehicles,
        result.changes,
    )
