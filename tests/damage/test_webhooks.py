"""Webhooks against a real HTTP receiver: the signature, retries with backoff, every attempt logged,
a failing endpoint never holding up another, and nothing lost when Tartip restarts."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import tartip.worker as worker_module
from tartip.auth.models import User
from tartip.cities.models import City, Company
from tartip.core.clock import utcnow
from tartip.core.jobs import REGISTRY
from tartip.damage import deliveries as delivery_log
from tartip.damage import intake, service, webhooks
from tartip.damage.enums import CollectedVia, DeliveryStatus, HandoverAction
from tartip.damage.models import DamageCase, Handover, WebhookAttempt, WebhookDelivery
from tartip.feeds.http import make_client
from tartip.notify.models import OutboundEmail
from tartip.settings import Settings
from tartip.worker import Worker
from tests import builders
from tests.damage.helpers import CENTRE, agree, hook, make_rep, make_scout, receiver, report_damage
from tests.ops.helpers import admin_scope, scope_of

SIGNATURE = re.compile(r"^t=(\d+),v1=([0-9a-f]{64})$")


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_backoff_s": 30.0,
            "webhook_timeout_s": 2.0,
            "public_base_url": "https://tartip.example",
        }
    )


@pytest.fixture
def http(hook_settings: Settings) -> Iterator[httpx.Client]:
    client = make_client(hook_settings)
    yield client
    client.close()


@pytest.fixture
def scout(db: Session, city: City) -> User:
    return make_scout(db, city)


def handed_over(db: Session, scout: User, company: Company, code: str) -> int:
    """A scout reports a damaged vehicle of ``company``; the intake hands it over."""
    feed = builders.make_feed(db, company)
    builders.make_vehicle(db, feed, vehicle_id=code, lon=CENTRE[0], lat=CENTRE[1])
    report_damage(db, scout, code=code, description="front wheel wobbles")
    intake.from_ops_reports(db, city_id=company.city_id)
    stmt = select(Handover.id).join(DamageCase, DamageCase.id == Handover.case_id)
    found = db.scalar(stmt.where(DamageCase.vehicle_code == code))
    assert found is not None
    return found


def deliveries(db: Session, company: Company) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.company_id == company.id)
    return list(db.scalars(stmt.order_by(WebhookDelivery.id)))


def attempts(db: Session, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    stmt = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
    return list(db.scalars(stmt.order_by(WebhookAttempt.id)))


def test_a_handover_reaches_the_companys_webhook_signed_as_the_contract_says(
    db: Session, city: City, hook_settings: Settings, http: httpx.Client, scout: User
):
    jet = builders.company(db, city, "jet")
    with receiver() as company_side:
        endpoint = hook(db, jet, company_side.url)
        handover_id = handed_over(db, scout, jet, "JET-0007")
        assert webhooks.fan_out(db, city=city, base_url=hook_settings.public_base_url) == 1
        outcomes = webhooks.send_due(db, http=http, settings=hook_settings, city_id=city.id)
    assert [o.status_code for o in outcomes] == [200]
    (got,) = company_side.received
    assert got.path == "/hooks/tartip"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-tartip-event"] == "damage.handed_over"
    # The receiver's own check: HMAC-SHA256 of "<t>." + the raw body, with the shared secret.
    match = SIGNATURE.match(got.headers["x-tartip-signature"])
    assert match is not None
    t, v1 = match.groups()
    expected = hmac.new(endpoint.secret.encode(), t.encode() + b"." + got.body, hashlib.sha256)
    assert hmac.compare_digest(v1, expected.hexdigest())
    assert abs(int(t) - time.time()) < 60
    assert not hmac.compare_digest(
        v1, hmac.new(b"another secret", t.encode() + b"." + got.body, hashlib.sha256).hexdigest()
    )
    body = got.json()
    assert body["id"] == got.headers["x-tartip-delivery"]
    assert body["type"] == "damage.handed_over" and body["city"] == city.slug
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["created_at"])
    data = body["data"]
    assert data["handover_id"] == handover_id and re.fullmatch(r"DH-\d{6}", data["reference"])
    assert (data["vehicle_id"], data["company"], data["damage"], data["status"]) == (
        "JET-0007",
        "jet",
        ["broken"],
        "handed_over",
    )
    assert data["description"] == "front wheel wobbles"
    assert (data["lon"], data["lat"]) == CENTRE
    for key in ("reported_at", "due_at", "photos", "reference"):
        assert key in data
    (delivery,) = deliveries(db, jet)
    assert delivery.status == DeliveryStatus.delivered and delivery.attempts == 1
    (attempt,) = attempts(db, delivery)
    assert attempt.status_code == 200 and attempt.error is None and attempt.duration_ms > 0


def test_photo_urls_are_absolute_and_served_to_the_company(
    db: Session, city: City, hook_settings: Settings, tmp_path
):
    jet = builders.company(db, city, "jet")
    agree(db, jet)
    builders.make_vehicle(
        db, builders.make_feed(db, jet), vehicle_id="J-P", lon=CENTRE[0], lat=CENTRE[1]
    )
    report_damage(db, make_scout(db, city), code="J-P", photo=True, root=tmp_path)
    intake.from_ops_reports(db, city_id=city.id)
    row = service.list_handovers(db, scope=admin_scope(city)).rows[0]
    data = webhooks._data(db, row.handover, "https://tartip.example/", utcnow())
    (url,) = data["photos"]
    assert re.fullmatch(r"https://tartip\.example/api/v1/damage/photos/\d+", url)


def test_a_failing_receiver_is_retried_with_growing_pauses_and_every_attempt_logged(
    db: Session, city: City, hook_settings: Settings, http: httpx.Client, scout: User
):
    jet = builders.company(db, city, "jet")
    with receiver([500, 503]) as company_side:  # fails twice, then accepts
        hook(db, jet, company_side.url)
        handed_over(db, scout, jet, "JET-1")
        webhooks.fan_out(db, city=city, base_url=hook_settings.public_base_url)
        t0 = utcnow()
        first = webhooks.send_due(db, http=http, settings=hook_settings, city_id=city.id, now=t0)
        (delivery,) = deliveries(db, jet)
        assert [o.status_code for o in first] == [500]
        assert delivery.status == DeliveryStatus.pending and delivery.attempts == 1
        wait_1 = delivery.next_attempt_at - first[0].at
        assert wait_1 == timedelta(seconds=30)
        # Not due yet: nothing is sent before the pause is over.
        assert (
            webhooks.send_due(
                db,
                http=http,
                settings=hook_settings,
                city_id=city.id,
                now=t0 + timedelta(seconds=29),
            )
            == []
        )
        second = webhooks.send_due(
            db, http=http, settings=hook_settings, city_id=city.id, now=delivery.next_attempt_at
        )
        assert [o.status_code for o in second] == [503]
        assert delivery.next_attempt_at - second[0].at == timedelta(seconds=60)  # doubled
        third = webhooks.send_due(
            db, http=http, settings=hook_settings, city_id=city.id, now=delivery.next_attempt_at
        )
        assert [o.status_code for o in third] == [200]
    assert delivery.status == DeliveryStatus.delivered and delivery.attempts == 3
    log = attempts(db, delivery)
    assert [(a.status_code, a.error) for a in log] == [
        (500, "HTTP 500"),
        (503, "HTTP 503"),
        (200, None),
    ]
    assert all(a.duration_ms > 0 for a in log)
    # Every attempt carried the same delivery id and the very same body.
    assert len({r.headers["x-tartip-delivery"] for r in company_side.received}) == 1
    assert len({r.body for r in company_side.received}) == 1


def test_a_dead_endpoint_never_holds_up_another_company(
    db: Session, city: City, hook_settings: Settings, http: httpx.Client, scout: User
):
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    with receiver() as alive:
        with receiver() as dead:
            dead_url = dead.url
        hook(db, jet, dead_url)  # nothing listens there any more
        hook(db, whoosh, alive.url)
        handed_over(db, scout, jet, "J-DEAD-1")
        handed_over(db, scout, jet, "J-DEAD-2")
        handed_over(db, scout, whoosh, "W-ALIVE")
        webhooks.fan_out(db, city=city, base_url=hook_settings.public_base_url)
        outcomes = webhooks.send_due(db, http=http, settings=hook_settings, city_id=city.id)
    assert len(alive.received) == 1
    (ok,) = deliveries(db, whoosh)
    assert ok.status == DeliveryStatus.delivered
    jet_deliveries = deliveries(db, jet)
    tried = [d for d in jet_deliveries if d.attempts]
    assert len(tried) == 1  # the endpoint failed: its second delivery waits, it is not hammered
    (attempt,) = attempts(db, tried[0])
    assert attempt.status_code is None and "Connect" in (attempt.error or "")
    untried = [d for d in jet_deliveries if not d.attempts][0]
    assert untried.next_attempt_at == tried[0].next_attempt_at
    assert len(outcomes) == 2


def test_a_delivery_given_up_can_be_sent_again(
    db: Session, city: City, hook_settings: Settings, http: httpx.Client, scout: User
):
    settings = hook_settings.model_copy(update={"webhook_max_attempts": 2})
    jet = builders.company(db, city, "jet")
    with receiver([500, 500]) as company_side:
        hook(db, jet, company_side.url)
        handed_over(db, scout, jet, "J-GIVE-UP")
        webhooks.fan_out(db, city=city, base_url=settings.public_base_url)
        webhooks.send_due(db, http=http, settings=settings, city_id=city.id)
        (delivery,) = deliveries(db, jet)
        webhooks.send_due(
            db, http=http, settings=settings, city_id=city.id, now=delivery.next_attempt_at
        )
        assert delivery.status == DeliveryStatus.failed and delivery.next_attempt_at is None
        assert (
            webhooks.send_due(
                db, http=http, settings=settings, city_id=city.id, now=utcnow() + timedelta(days=1)
            )
            == []
        )
        rep = make_rep(db, city, "jet")
        delivery_log.redeliver(db, scope=scope_of(rep), delivery_id=delivery.id)
        assert delivery.status == DeliveryStatus.pending
        webhooks.send_due(db, http=http, settings=settings, city_id=city.id)
    assert delivery.status == DeliveryStatus.delivered and delivery.attempts == 3
    assert len(company_side.received) == 3


def test_each_answer_is_sent_as_an_update(
    db: Session, city: City, hook_settings: Settings, http: httpx.Client, scout: User
):
    jet = builders.company(db, city, "jet")
    with receiver() as company_side:
        hook(db, jet, company_side.url)
        handover_id = handed_over(db, scout, jet, "J-UPD")
        rep = make_rep(db, city, "jet")
        service.answer(
            db, scope=scope_of(rep), handover_id=handover_id, action=HandoverAction.acknowledge,
            via=CollectedVia.api,
        )  # fmt: skip
        webhooks.fan_out(db, city=city, base_url=hook_settings.public_base_url)
        webhooks.send_due(db, http=http, settings=hook_settings, city_id=city.id)
    types = [r.headers["x-tartip-event"] for r in company_side.received]
    assert types == ["damage.handed_over", "damage.updated"]
    assert company_side.received[1].json()["data"]["status"] == "acknowledged"


def test_a_company_that_asked_for_email_gets_one_per_handover(
    db: Session, city: City, hook_settings: Settings, scout: User
):
    whoosh = builders.company(db, city, "whoosh")
    agree(db, whoosh, email="ops@whoosh.example")
    handed_over(db, scout, whoosh, "W-MAIL")
    webhooks.fan_out(db, city=city, base_url=hook_settings.public_base_url)
    webhooks.fan_out(db, city=city, base_url=hook_settings.public_base_url)  # nothing twice
    mails = list(db.scalars(select(OutboundEmail).where(OutboundEmail.city_id == city.id)))
    assert [m.to for m in mails] == ["ops@whoosh.example"]
    assert "W-MAIL" in mails[0].subject and "/portal/handovers/" in mails[0].body


def _only_damage_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    mine = {name: job for name, job in REGISTRY.items() if name == "damage.deliver"}
    monkeypatch.setattr(worker_module, "REGISTRY", mine)


def _worker(db: Session, settings: Settings) -> Worker:
    """A fresh worker (as after a restart) whose sessions share the test's transaction."""
    factory = sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return Worker(settings, factory)


def test_a_new_worker_sends_what_was_stored_before_a_restart(
    db: Session, city: City, hook_settings: Settings, monkeypatch: pytest.MonkeyPatch, scout: User
):
    _only_damage_jobs(monkeypatch)
    settings = hook_settings.model_copy(update={"webhook_lease_s": 0.3})
    jet = builders.company(db, city, "jet")
    with receiver() as company_side:
        hook(db, jet, company_side.url)
        handed_over(db, scout, jet, "J-R1")
        # The first Tartip stores the delivery, leases it to send, and dies before sending.
        webhooks.fan_out(db, city=city, base_url=settings.public_base_url)
        leased = webhooks._lease(db, city_id=city.id, now=utcnow(), lease_s=0.3, limit=10)
        assert len(leased) == 1
        db.commit()
        # Another handover made just before the restart has not even been turned into a delivery.
        handed_over(db, scout, jet, "J-R2")
        db.commit()
        time.sleep(0.35)  # the dead worker's lease runs out
        restarted = _worker(db, settings)
        try:
            assert restarted.run_due() == 1
        finally:
            restarted.context.http.close()
    vehicles = sorted(r.json()["data"]["vehicle_id"] for r in company_side.received)
    assert vehicles == ["J-R1", "J-R2"]
    db.expire_all()
    assert {d.status for d in deliveries(db, jet)} == {DeliveryStatus.delivered}


def test_a_lease_keeps_a_second_worker_from_sending_the_same_delivery(
    db: Session, city: City, hook_settings: Settings, scout: User
):
    jet = builders.company(db, city, "jet")
    hook(db, jet, "http://127.0.0.1:9/never")
    handed_over(db, scout, jet, "J-L")
    webhooks.fan_out(db, city=city, base_url=hook_settings.public_base_url)
    now = utcnow()
    assert len(webhooks._lease(db, city_id=city.id, now=now, lease_s=60, limit=10)) == 1
    assert webhooks._lease(db, city_id=city.id, now=now, lease_s=60, limit=10) == []
    later: datetime = now + timedelta(seconds=61)
    assert len(webhooks._lease(db, city_id=city.id, now=later, lease_s=60, limit=10)) == 1
