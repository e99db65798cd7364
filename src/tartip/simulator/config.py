"""How the simulated companies meet Tartip: MDS credentials, webhook secrets and Agency pushes.

Every company has working credentials from the start (documented, for the demo and tests):

====================  ===========================================
MDS Provider bearer   ``tartip-sim-<slug>-token``
OAuth 2 client        id ``tartip``, secret ``tartip-sim-<slug>-secret``
webhook secret        ``tartip-sim-<slug>-webhook``
====================  ===========================================

``--mds-token``, ``--oauth-client`` and ``--webhook-secret`` replace them (CLI or environment),
and ``POST /_control/config`` changes any of them, and Tartip's address, tokens and the companies
that push, while the simulator runs (Tartip's own tokens are made after the simulator starts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tartip.core.errors import InvalidInput, Problem

DEFAULT_COLLECT_AFTER_S = 900.0
DEFAULT_PAGE_SIZE = 1000
DEFAULT_READY_AFTER_S = 300.0
DEFAULT_PUSH_INTERVAL_S = 2.0
DEFAULT_PUSH_BATCH = 500
DEFAULT_QUEUE_LIMIT = 1_000_000
MAX_COLLECT_AFTER_S = 7 * 86_400.0


@dataclass
class CompanyLink:
    """One simulated company's credentials, and what it does with Tartip."""

    mds_tokens: set[str]
    oauth_clients: dict[str, str]
    webhook_secret: str
    # The company's API token at Tartip: for Agency pushes and answering handovers.
    tartip_token: str | None = None
    push: bool = False

    @classmethod
    def default(cls, slug: str) -> CompanyLink:
        """The documented demo credentials of ``slug``."""
        return cls(
            mds_tokens={f"tartip-sim-{slug}-token"},
            oauth_clients={"tartip": f"tartip-sim-{slug}-secret"},
            webhook_secret=f"tartip-sim-{slug}-webhook",
        )

    def public(self) -> dict[str, Any]:
        """What ``/_control`` shows: whether each secret is set, never the secret."""
        return {
            "mds_tokens": len(self.mds_tokens),
            "oauth_clients": sorted(self.oauth_clients),
            "webhook_secret": bool(self.webhook_secret),
            "tartip_token": self.tartip_token is not None,
            "push": self.push,
        }


@dataclass
class SimulatorConfig:
    """Everything about the simulator's MDS and Tartip links that a person may set."""

    companies: dict[str, CompanyLink]
    tartip_url: str | None = None
    # Simulated seconds between a damage handover's webhook and the company's collection.
    collect_after_s: float = DEFAULT_COLLECT_AFTER_S
    mds_page_size: int = DEFAULT_PAGE_SIZE
    # Simulated seconds after an hour's end before its trips and events are served (202 before).
    mds_ready_after_s: float = DEFAULT_READY_AFTER_S
    push_interval_s: float = DEFAULT_PUSH_INTERVAL_S
    push_batch: int = DEFAULT_PUSH_BATCH
    push_queue_limit: int = DEFAULT_QUEUE_LIMIT
    generation: int = field(default=0)

    @classmethod
    def for_companies(cls, slugs: list[str], **settings: Any) -> SimulatorConfig:
        """Default credentials for every company in ``slugs``, and ``settings``."""
        return cls(companies={slug: CompanyLink.default(slug) for slug in slugs}, **settings)

    def link(self, slug: str) -> CompanyLink:
        """The link of ``slug``; ``KeyError`` for an unknown company."""
        return self.companies[slug]

    def public(self) -> dict[str, Any]:
        """The configuration as ``/_control`` shows it (no secrets)."""
        return {
            "tartip_url": self.tartip_url,
            "collect_after_s": self.collect_after_s,
            "mds_page_size": self.mds_page_size,
            "mds_ready_after_s": self.mds_ready_after_s,
            "companies": {slug: link.public() for slug, link in self.companies.items()},
        }

    def apply(self, body: object) -> None:
        """Change the configuration from a ``/_control/config`` body, all or nothing."""
        if not isinstance(body, dict):
            raise InvalidInput(
                "a JSON object is expected", problems=[Problem("$", "not an object")]
            )
        problems: list[Problem] = []
        changes: list[tuple[str | None, str, Any]] = []
        for key, value in body.items():
            if key == "tartip_url":
                if value is not None and not _is_http_url(value):
                    problems.append(Problem(key, "must be an http(s) URL or null"))
                changes.append((None, key, value.rstrip("/") if isinstance(value, str) else None))
            elif key == "collect_after_s":
                if not _is_number(value) or not 0 <= value <= MAX_COLLECT_AFTER_S:
                    problems.append(Problem(key, f"must be seconds, 0-{MAX_COLLECT_AFTER_S:g}"))
                changes.append((None, key, float(value) if _is_number(value) else None))
            elif key == "companies":
                changes += self._company_changes(value, problems)
            else:
                problems.append(Problem(key, "unknown field"))
        if problems:
            raise InvalidInput("not a valid configuration", problems=problems)
        for slug, key, value in changes:
            setattr(self if slug is None else self.companies[slug], key, value)
        self.generation += 1

    def _company_changes(
        self, value: object, problems: list[Problem]
    ) -> list[tuple[str | None, str, Any]]:
        if not isinstance(value, dict):
            problems.append(Problem("companies", "must map company slugs to settings"))
            return []
        changes: list[tuple[str | None, str, Any]] = []
        for slug, settings in value.items():
            where = f"companies.{slug}"
            if slug not in self.companies:
                problems.append(Problem(where, "no such company"))
            elif not isinstance(settings, dict):
                problems.append(Problem(where, "must be an object"))
            else:
                changes += [(slug, k, v) for k, v in _link_changes(settings, where, problems)]
        return changes


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_http_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) > 8


def _is_secret(value: object) -> bool:
    return isinstance(value, str) and 8 <= len(value) <= 512 and value.strip() == value


def _link_changes(
    settings: dict[str, Any], where: str, problems: list[Problem]
) -> list[tuple[str, Any]]:
    """Changes to one company's link, with a problem for each bad value."""
    changes: list[tuple[str, Any]] = []
    for key, value in settings.items():
        if key == "tartip_token":
            ok = value is None or _is_secret(value)
            changes.append((key, value))
        elif key == "push":
            ok = isinstance(value, bool)
            changes.append((key, value))
        elif key == "webhook_secret":
            ok = _is_secret(value)
            changes.append((key, value))
        elif key == "mds_tokens":
            ok = isinstance(value, list) and all(_is_secret(v) for v in value)
            changes.append((key, set(value) if ok else None))
        elif key == "oauth_clients":
            ok = isinstance(value, dict) and all(
                isinstance(k, str) and k and _is_secret(v) for k, v in value.items()
            )
            changes.append((key, dict(value) if ok else None))
        else:
            problems.append(Problem(f"{where}.{key}", "unknown field"))
            continue
        if not ok:
            problems.append(Problem(f"{where}.{key}", SETTING_RULES[key]))
    return changes


SETTING_RULES = {
    "tartip_token": "must be a token (8-512 characters, no surrounding spaces) or null",
    "push": "must be true or false",
    "webhook_secret": "must be 8-512 characters, without surrounding spaces",
    "mds_tokens": "must be a list of tokens of 8-512 characters",
    "oauth_clients": "must map client ids to secrets of 8-512 characters",
}


def parse_assignments(values: list[str], *, option: str, slugs: list[str]) -> list[tuple[str, str]]:
    """``["jet=abc", …]`` as ``[("jet", "abc"), …]``; ``ValueError`` naming the bad entry."""
    found: list[tuple[str, str]] = []
    for value in values:
        slug, sep, rest = value.partition("=")
        slug = slug.strip()
        if not sep or not rest:
            raise ValueError(f"{option}: {value!r} is not SLUG=VALUE")
        if slug not in slugs:
            raise ValueError(f"{option}: no company {slug!r} (choose among {', '.join(slugs)})")
        found.append((slug, rest))
    return found
