"""MDS Provider feeds: registering a company's MDS Provider API, and reading its configuration.

A Provider feed is a ``Feed`` row with ``protocol`` ``mds_provider``: the base URL of the
company's API (``https://mds.example/…/``; endpoint paths are resolved against it), the MDS
version Tartip asks for (``2.0`` or ``1.2``, sent in the ``Accept`` header), how Tartip
authenticates (``FeedAuth``) and ``mds_config``:

- ``endpoints``: which endpoints to pull (default: all of ``MdsEndpoint``);
- ``start``: the first UTC hour wanted, ISO 8601 (default: one day before registration);
- ``paths``: per endpoint, a path that differs from the standard one (e.g. ``status_changes`` for
  a 1.x company's historical events).

The trips domain pulls these feeds (job ``trips.pull``); the GBFS poller leaves them alone.
Secrets (``auth_secret``) are never audited or shown; the audit trail records the auth kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import Company
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, InvalidInput, NotFound, Problem
from tartip.feeds.enums import FeedAuth, FeedProtocol, MdsEndpoint
from tartip.feeds.models import Feed
from tartip.feeds.service import CLI_ACTOR, check_url

VERSIONS = ("2.0", "1.2")
# What each version's Provider API has: 1.2 has no telemetry, vehicles/status or reports (its
# ``vehicles`` carries each vehicle's last status instead).
DEFAULT_ENDPOINTS = {
    "2.0": tuple(MdsEndpoint),
    "1.2": (
        MdsEndpoint.vehicles,
        MdsEndpoint.trips,
        MdsEndpoint.events_historical,
        MdsEndpoint.events_recent,
    ),
}
# MDS 1.x named the event endpoints differently: historical events are ``status_changes`` (per
# hour) and recent ones ``events`` (a time range).
VERSION_PATHS: dict[str, dict[MdsEndpoint, str]] = {
    "1.2": {
        MdsEndpoint.events_historical: "status_changes",
        MdsEndpoint.events_recent: "events",
    },
}
DEFAULT_BACKFILL = timedelta(days=1)


@dataclass(frozen=True)
class MdsAuth:
    """How to authenticate to a company's Provider API (secrets included: never log this)."""

    kind: FeedAuth = FeedAuth.none
    token: str | None = None  # bearer
    client_id: str | None = None  # oauth
    client_secret: str | None = None  # oauth
    token_url: str | None = None  # oauth
    scope: str | None = None  # oauth, optional

    def check(self) -> None:
        """``InvalidInput`` unless the fields the kind needs are given."""
        needed = {
            FeedAuth.none: [],
            FeedAuth.bearer: [("token", self.token)],
            FeedAuth.oauth: [
                ("client_id", self.client_id),
                ("client_secret", self.client_secret),
                ("token_url", self.token_url),
            ],
        }[self.kind]
        missing = [
            Problem(name, f"required for {self.kind.value} auth") for name, v in needed if not v
        ]
        if missing:
            raise InvalidInput(f"incomplete {self.kind.value} credentials", problems=missing)
        if self.token_url is not None:
            check_url(self.token_url, where="token_url", expected="https://host/…")


@dataclass(frozen=True)
class MdsConfig:
    """What to pull from a Provider feed (``Feed.mds_config`` as a value)."""

    # None: the version's defaults (``DEFAULT_ENDPOINTS``).
    endpoints: tuple[MdsEndpoint, ...] | None = None
    start: datetime | None = None
    paths: dict[str, str] = field(default_factory=dict)

    def path(self, endpoint: MdsEndpoint, version: str = "2.0") -> str:
        """The endpoint's path under the base URL: configured, else the version's own name."""
        default = VERSION_PATHS.get(version, {}).get(endpoint, endpoint.value)
        return self.paths.get(endpoint.value, default)

    def to_json(self) -> dict[str, Any]:
        """The value stored in ``Feed.mds_config``."""
        return {
            "endpoints": [e.value for e in self.endpoints or ()],
            "start": self.start.isoformat() if self.start is not None else None,
            "paths": dict(self.paths),
        }


def config_of(feed: Feed) -> MdsConfig:
    """A feed's pull configuration, with defaults for what it does not say."""
    raw = feed.mds_config or {}
    known = {e.value: e for e in MdsEndpoint}
    endpoints = tuple(known[e] for e in raw.get("endpoints") or () if e in known)
    if not endpoints:
        endpoints = DEFAULT_ENDPOINTS.get(feed.version or "2.0", DEFAULT_ENDPOINTS["2.0"])
    start = raw.get("start")
    return MdsConfig(
        endpoints=endpoints,
        start=datetime.fromisoformat(start) if start else None,
        paths={k: v for k, v in (raw.get("paths") or {}).items() if k in known},
    )


def auth_of(feed: Feed) -> MdsAuth:
    """A feed's credentials."""
    kind = FeedAuth(feed.auth or FeedAuth.none)
    return MdsAuth(
        kind=kind,
        token=feed.auth_secret if kind is FeedAuth.bearer else None,
        client_id=feed.auth_client_id,
        client_secret=feed.auth_secret if kind is FeedAuth.oauth else None,
        token_url=feed.auth_token_url,
        scope=feed.auth_scope,
    )


def base_url(url: str) -> str:
    """The Provider API's base URL, ending in ``/`` so endpoint paths resolve under it."""
    text = check_url(url, expected="https://host/…")
    return text if text.endswith("/") else text + "/"


def check_version(version: str) -> str:
    """``version`` if Tartip speaks it, else ``InvalidInput``."""
    if version not in VERSIONS:
        raise InvalidInput(
            f"MDS version {version!r} is not supported",
            problems=[Problem("version", f"choose {' or '.join(VERSIONS)}")],
        )
    return version


def parse_endpoints(names: list[str] | None) -> tuple[MdsEndpoint, ...] | None:
    """Endpoint names (``trips``, ``events/historical`` or ``events_historical``) as endpoints.

    None (no names): the version's defaults.
    """
    if not names:
        return None
    by_name = {e.value: e for e in MdsEndpoint} | {e.name: e for e in MdsEndpoint}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise InvalidInput(
            f"unknown MDS endpoint {', '.join(unknown)}",
            problems=[
                Problem("endpoints", f"choose among {', '.join(e.value for e in MdsEndpoint)}")
            ],
        )
    return tuple(dict.fromkeys(by_name[n] for n in names))


def register(
    db: Session,
    *,
    scope: Scope | None,
    company_id: int,
    url: str,
    version: str,
    auth: MdsAuth,
    config: MdsConfig | None = None,
) -> Feed:
    """Register a company's MDS Provider API (supervisors, admins; ``scope`` None: the CLI)."""
    if scope is not None:
        scope.require(Role.supervisor)
    company = db.get(Company, company_id)
    if company is None or (scope is not None and company.city_id != scope.city_id):
        raise NotFound(f"no company {company_id}")
    url = base_url(url)
    check_version(version)
    auth.check()
    clash = select(Feed.id).where(Feed.company_id == company.id, Feed.url == url)
    if db.scalars(clash).first() is not None:
        raise Conflict(f"{company.name} already has a feed at {url}")
    feed = Feed(city_id=company.city_id, company_id=company.id, protocol=FeedProtocol.mds_provider)
    _apply(feed, url=url, version=version, auth=auth, config=config)
    db.add(feed)
    db.flush()
    audit.record(
        db,
        actor=scope.actor if scope is not None else CLI_ACTOR,
        action="feed.register",
        entity_type="feed",
        entity_id=feed.id,
        city_id=feed.city_id,
        after={
            "company_id": company.id,
            "protocol": FeedProtocol.mds_provider.value,
            "url": url,
            "version": version,
            "auth": auth.kind.value,
            "mds_config": feed.mds_config,
        },
    )
    return feed


def ensure(
    db: Session,
    *,
    city_id: int,
    company_id: int,
    url: str,
    version: str,
    auth: MdsAuth,
    config: MdsConfig | None = None,
) -> Feed:
    """The company's Provider feed, created or re-pointed to ``url`` (seeding; not audited)."""
    url = base_url(url)
    check_version(version)
    auth.check()
    stmt = select(Feed).where(
        Feed.city_id == city_id,
        Feed.company_id == company_id,
        Feed.protocol == FeedProtocol.mds_provider,
    )
    feed = db.scalars(stmt.order_by(Feed.id)).first()
    if feed is None:
        feed = Feed(city_id=city_id, company_id=company_id, protocol=FeedProtocol.mds_provider)
        db.add(feed)
    if feed.url != url:
        feed.next_poll_at = None
    _apply(feed, url=url, version=version, auth=auth, config=config)
    db.flush()
    return feed


def _apply(feed: Feed, *, url: str, version: str, auth: MdsAuth, config: MdsConfig | None) -> None:
    chosen = config or MdsConfig()
    if chosen.start is None:
        hour = (utcnow() - DEFAULT_BACKFILL).replace(minute=0, second=0, microsecond=0)
        chosen = MdsConfig(
            endpoints=chosen.endpoints, start=hour.astimezone(UTC), paths=chosen.paths
        )
    feed.url = url
    feed.version = version
    feed.language = None
    feed.auth = auth.kind
    feed.auth_secret = auth.token if auth.kind is FeedAuth.bearer else auth.client_secret
    feed.auth_client_id = auth.client_id
    feed.auth_token_url = auth.token_url
    feed.auth_scope = auth.scope
    feed.mds_config = chosen.to_json()
