"""Telling companies: handover steps become signed webhook deliveries and e-mails, with retries.

Two stages, each committed before the next, so nothing is lost if Tartip stops between them:

1. ``fan_out`` turns each new ``HandoverEvent`` into a ``WebhookDelivery`` per active webhook of
   the company (the exact JSON body is stored), an e-mail for companies that asked for one, and
   for an escalation an e-mail to the supervisors; then marks the event dispatched.
2. ``send_due`` posts the due deliveries. Each is leased first (``next_attempt_at`` moved past
   the lease) and committed, then sent outside any transaction; every attempt is logged with the
   status code or error and its duration. A 2xx answer delivers it; anything else, or no answer,
   is tried again after ``webhook_backoff_s`` doubled per attempt (at most
   ``webhook_backoff_max_s``) until ``webhook_max_attempts``, then it is failed until someone
   sends it again. Endpoints are served in parallel and an endpoint that fails is left alone for
   the rest of the run, so a dead or slow receiver never holds up the others.

The signature (``X-Tartip-Signature: t=<unix seconds>,v1=<hex>``) is HMAC-SHA256 with the
company's secret over ``"<t>." + body``: the receiver recomputes it and rejects a stale ``t``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.errors import InvalidInput
from tartip.damage import agreements, present, service
from tartip.damage.enums import NOTIFIED, DeliveryStatus, EventKind
from tartip.damage.models import (
    CompanyAgreement,
    Handover,
    HandoverEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tartip.notify import service as notify
from tartip.settings import Settings

log = logging.getLogger(__name__)

MAX_PARALLEL = 8
EXCERPT = 500


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Tartip-Signature`` header value for ``body`` sent at ``timestamp``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def rfc3339(moment: datetime) -> str:
    """A time as RFC 3339 in UTC, with a ``Z`` (``2026-11-30T09:00:00Z``)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ---- stage 1: events into deliveries and e-mails ----------------------------------------------


def _body(delivery_id: str, event_type: str, at: datetime, city: City, data: Any) -> str:
    document = {
        "id": delivery_id,
        "type": event_type,
        "created_at": rfc3339(at),
        "city": city.slug,
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _handover_email(handover: Handover, data: dict[str, Any], base_url: str) -> tuple[str, str]:
    subject = f"Damaged vehicle {data['vehicle_id']} handed over ({handover.reference})"
    lines = [
        f"Tartip has handed over a damaged vehicle to {data['company']}.",
        "",
        f"Reference: {handover.reference}",
        f"Vehicle: {data['vehicle_id']}",
        f"Damage: {', '.join(data['damage'])}",
        f"Where: {data['lat']}, {data['lon']}",
        f"Collect by (UTC): {data['due_at']}",
        "",
        data["description"] or "",
        "",
        f"In your portal: {base_url.rstrip('/')}/portal/handovers/{handover.id}",
    ]
    return subject, "\n".join(lines)


def _escalation_email(handover: Handover, data: dict[str, Any], base_url: str) -> tuple[str, str]:
    subject = f"Overdue damage handover {handover.reference} ({data['company']})"
    lines = [
        f"{data['company']} has not collected vehicle {data['vehicle_id']} by {data['due_at']}.",
        f"Status: {data['status']}",
        f"{base_url.rstrip('/')}/damage/cases/{handover.case_id}",
    ]
    return subject, "\n".join(lines)


def _email(db: Session, handover: Handover, to: str, subject: str, body: str, kind: str) -> int:
    """Queue one e-mail; an address the outbox refuses is logged, never holds up the rest."""
    try:
        notify.queue_email(
            db, city_id=handover.city_id, to=to, subject=subject, body=body, kind=kind,
            ref=handover.reference,
        )  # fmt: skip
    except InvalidInput:
        log.warning("no %s e-mail for %s: %r is not an address", kind, handover.reference, to)
        return 0
    return 1


@dataclass(frozen=True)
class Notify:
    """Who hears of one company's handovers."""

    endpoint: WebhookEndpoint | None
    agreement: CompanyAgreement | None


def _who(db: Session, company_id: int, cache: dict[int, Notify]) -> Notify:
    if company_id not in cache:
        endpoint = agreements.get_endpoint(db, company_id=company_id)
        agreement = agreements.get_agreement(db, company_id=company_id)
        wants_hook = agreement is not None and agreement.deliver_webhook
        active = endpoint if endpoint is not None and endpoint.active and wants_hook else None
        cache[company_id] = Notify(endpoint=active, agreement=agreement)
    return cache[company_id]


def _data(db: Session, handover: Handover, base_url: str, now: datetime) -> dict[str, Any]:
    row = service.get_row(db, handover_id=handover.id)
    read = present.handover_reads(db, [row], base_url=base_url, now=now)[0]
    data: dict[str, Any] = read.model_dump(mode="json")
    return data


def _dispatch_one(
    db: Session,
    event: HandoverEvent,
    *,
    city: City,
    base_url: str,
    now: datetime,
    cache: dict[int, Notify],
) -> int:
    handover = db.get(Handover, event.handover_id)
    if handover is None:
        return 0
    kind = EventKind(event.kind)
    event_type = NOTIFIED.get(kind)
    who = _who(db, handover.company_id, cache)
    agreement = who.agreement
    hook = event_type is not None and who.endpoint is not None
    mail_to: str | None = None
    if kind is EventKind.handed_over and agreement is not None and agreement.deliver_email:
        mail_to = agreement.email
    supervisors: list[str] = []
    if kind is EventKind.escalated:
        policy = agreements.get_policy(db, city_id=handover.city_id)
        supervisors = agreements.escalation_addresses(policy)
    if not (hook or mail_to or supervisors):
        return 0  # nobody hears of this step: the handover is not read again for nothing
    made = 0
    data = _data(db, handover, base_url, now)
    if event_type is not None and who.endpoint is not None:
        delivery_id = str(uuid.uuid4())
        db.add(
            WebhookDelivery(
                city_id=handover.city_id, delivery_id=delivery_id, company_id=handover.company_id,
                endpoint_id=who.endpoint.id, handover_id=handover.id, event_type=event_type.value,
                body=_body(delivery_id, event_type.value, event.at, city, data),
                status=DeliveryStatus.pending, attempts=0, next_attempt_at=now, created_at=now,
            )
        )  # fmt: skip
        made += 1
    if mail_to:
        subject, body = _handover_email(handover, data, base_url)
        made += _email(db, handover, mail_to, subject, body, "damage.handed_over")
    if supervisors:
        subject, body = _escalation_email(handover, data, base_url)
        for address in supervisors:
            made += _email(db, handover, address, subject, body, "damage.escalated")
    return made


def fan_out(
    db: Session, *, city: City, base_url: str, now: datetime | None = None, limit: int = 200
) -> int:
    """Turn undispatched handover steps into deliveries and e-mails; returns how many were made."""
    at = now or utcnow()
    stmt = (
        select(HandoverEvent)
        .where(HandoverEvent.city_id == city.id, HandoverEvent.dispatched_at.is_(None))
        .order_by(HandoverEvent.id)
        .limit(limit)
    )
    made = 0
    cache: dict[int, Notify] = {}
    for event in db.scalars(stmt).all():
        made += _dispatch_one(db, event, city=city, base_url=base_url, now=at, cache=cache)
        event.dispatched_at = at
    db.flush()
    return made


# ---- stage 2: sending ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One leased delivery, as plain values a sending thread may use (no ORM objects)."""

    id: int
    delivery_id: str
    endpoint_id: int
    url: str
    secret: str
    event_type: str
    body: str


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to."""

    id: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float
    excerpt: str

    @property
    def ok(self) -> bool:
        """Whether the receiver accepted it (any 2xx)."""
        return self.status_code is not None and 200 <= self.status_code < 300


def _lease(
    db: Session, *, city_id: int, now: datetime, lease_s: float, limit: int
) -> list[Outgoing]:
    d, e = WebhookDelivery, WebhookEndpoint
    # Plain columns, not ORM objects: the lease must compare with what the database holds now.
    stmt = (
        select(d.id, d.next_attempt_at, d.delivery_id, d.event_type, d.body, e.id, e.url, e.secret)
        .join(e, e.id == d.endpoint_id)
        .where(
            d.city_id == city_id,
            d.status == DeliveryStatus.pending,
            d.next_attempt_at <= now,
            e.active.is_(True),
        )
        .order_by(d.next_attempt_at, d.id)
        .limit(limit)
    )
    until = now + timedelta(seconds=lease_s)
    leased: list[Outgoing] = []
    for row_id, due, delivery_id, event_type, body, endpoint_id, url, secret in db.execute(stmt):
        # Compare-and-set: another worker that leased it first made this match nothing.
        claim = (
            update(d)
            .where(d.id == row_id, d.next_attempt_at == due, d.status == DeliveryStatus.pending)
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        if getattr(db.execute(claim), "rowcount", 0) == 1:
            leased.append(
                Outgoing(
                    id=row_id, delivery_id=delivery_id, endpoint_id=endpoint_id, url=url,
                    secret=secret, event_type=event_type, body=body,
                )
            )  # fmt: skip
    return leased


def post(http: httpx.Client, item: Outgoing, *, timeout_s: float) -> Outcome:
    """Send one delivery once; never raises for the receiver's failure."""
    body = item.body.encode()
    headers = {
        "Content-Type": "application/json",
        "X-Tartip-Event": item.event_type,
        "X-Tartip-Delivery": item.delivery_id,
        "X-Tartip-Signature": signature(item.secret, int(time.time()), body),
    }
    at = utcnow()
    started = time.perf_counter()
    try:
        # Streamed: only the first bytes of the answer are read, however much the receiver sends.
        with http.stream(
            "POST", item.url, content=body, headers=headers, timeout=timeout_s
        ) as response:
            code = response.status_code
            excerpt = _first_bytes(response)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        took = 1000 * (time.perf_counter() - started)
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return Outcome(item.id, at, None, reason[:1000], took, "")
    took = 1000 * (time.perf_counter() - started)
    error = None if 200 <= code < 300 else f"HTTP {code}"
    return Outcome(item.id, at, code, error, took, excerpt)


def _first_bytes(response: httpx.Response) -> str:
    kept = b""
    for chunk in response.iter_bytes():
        kept += chunk
        if len(kept) >= EXCERPT:
            break
    return kept[:EXCERPT].decode("utf-8", errors="replace")


def _send_endpoint(http: httpx.Client, items: list[Outgoing], timeout_s: float) -> list[Outcome]:
    """One endpoint's deliveries in order, stopping at its first failure."""
    done: list[Outcome] = []
    for item in items:
        outcome = post(http, item, timeout_s=timeout_s)
        done.append(outcome)
        if not outcome.ok:
            break
    return done


def backoff(attempts: int, *, base_s: float, max_s: float) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), max_s))


def _record(db: Session, outcome: Outcome, *, settings: Settings, city_id: int) -> None:
    delivery = db.get(WebhookDelivery, outcome.id)
    if delivery is None:
        return
    db.add(
        WebhookAttempt(
            city_id=city_id, delivery_id=delivery.id, at=outcome.at,
            status_code=outcome.status_code, error=outcome.error,
            duration_ms=round(outcome.duration_ms, 1), response_excerpt=outcome.excerpt,
        )
    )  # fmt: skip
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
    if outcome.ok:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at, delivery.next_attempt_at = outcome.at, None
    elif delivery.attempts >= settings.webhook_max_attempts:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.failed, None
    else:
        wait = backoff(
            delivery.attempts, base_s=settings.webhook_backoff_s,
            max_s=settings.webhook_backoff_max_s,
        )  # fmt: skip
        delivery.next_attempt_at = outcome.at + wait


def send_due(
    db: Session,
    *,
    http: httpx.Client,
    settings: Settings,
    city_id: int,
    now: datetime | None = None,
    limit: int = 100,
) -> list[Outcome]:
    """Send the due deliveries of a city (committing the lease first); returns each attempt."""
    at = now or utcnow()
    leased = _lease(db, city_id=city_id, now=at, lease_s=settings.webhook_lease_s, limit=limit)
    db.commit()  # the lease is visible to other workers before anything is sent
    if not leased:
        return []
    by_endpoint: dict[int, list[Outgoing]] = {}
    for item in leased:
        by_endpoint.setdefault(item.endpoint_id, []).append(item)
    workers = min(MAX_PARALLEL, len(by_endpoint))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tartip-webhook") as pool:
        runs = [
            pool.submit(_send_endpoint, http, items, settings.webhook_timeout_s)
            for items in by_endpoint.values()
        ]
        outcomes = [o for run in runs for o in run.result()]
    for outcome in outcomes:
        _record(db, outcome, settings=settings, city_id=city_id)
    db.flush()
    _postpone_untried(db, leased, outcomes)
    db.commit()
    return outcomes


def _postpone_untried(db: Session, leased: Sequence[Outgoing], outcomes: Sequence[Outcome]) -> None:
    """Deliveries not tried because their endpoint failed wait as long as the failed one."""
    endpoint_of = {item.id: item.endpoint_id for item in leased}
    wait_until: dict[int, datetime | None] = {}
    for outcome in outcomes:
        if not outcome.ok:
            failed = db.get(WebhookDelivery, outcome.id)
            wait_until[endpoint_of[outcome.id]] = failed.next_attempt_at if failed else None
    tried = {o.id for o in outcomes}
    for item in leased:
        until = wait_until.get(item.endpoint_id)
        if item.id in tried or until is None:
            continue
        delivery = db.get(WebhookDelivery, item.id)
        if delivery is not None:
            delivery.next_attempt_at = until
