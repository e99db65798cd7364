"""Following handovers up: collection confirmed by the company's feed and MDS events, overdue
handovers escalated to supervisors once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.models import User
from tartip.cities.models import City, Company
from tartip.core.clock import utcnow
from tartip.damage import agreements, intake, service, webhooks
from tartip.damage.enums import EventKind, HandoverStatus
from tartip.damage.followup import confirm_by_feed, confirm_by_mds
from tartip.damage.models import DamageCase, Handover, HandoverEvent
from tartip.damage.schemas import PolicyUpdate
from tartip.fleet.enums import VehicleStatus
from tartip.fleet.models import Vehicle
from tartip.notify.models import OutboundEmail
from tartip.ops.enums import DamageKind
from tartip.trips.models import VehicleEvent
from tests import builders
from tests.damage.helpers import CENTRE, admin_scope, agree, make_scout, report_damage


@pytest.fixture
def scout(db: Session, city: City) -> User:
    return make_scout(db, city)


def handed(
    db: Session, scout: User, company: Company, code: str, status: VehicleStatus
) -> tuple[Handover, Vehicle]:
    feed = builders.make_feed(db, company)
    vehicle = builders.make_vehicle(
        db, feed, vehicle_id=code, lon=CENTRE[0], lat=CENTRE[1], status=status
    )
    report_damage(db, scout, code=code, kind=DamageKind.broken)
    intake.from_ops_reports(db, city_id=company.city_id)
    stmt = select(Handover).join(DamageCase, DamageCase.id == Handover.case_id)
    handover = db.scalars(stmt.where(DamageCase.vehicle_code == code)).one()
    return handover, vehicle


def leave_feed(vehicle: Vehicle, at: datetime) -> None:
    """The feed's next snapshot no longer shows the vehicle (what fleet.live writes)."""
    vehicle.in_feed = False
    vehicle.last_seen_at = at


def test_a_disabled_vehicle_leaving_its_feed_is_collected(db: Session, city: City, scout: User):
    jet = builders.company(db, city, "jet")
    handover, vehicle = handed(db, scout, jet, "J-GONE", VehicleStatus.disabled)
    now = utcnow()
    assert confirm_by_feed(db, city_id=city.id, now=now) == 0  # still standing there
    left = now + timedelta(minutes=3)
    leave_feed(vehicle, left)
    db.flush()
    assert confirm_by_feed(db, city_id=city.id, now=left + timedelta(minutes=1)) == 1
    assert handover.status == HandoverStatus.collected and handover.collected_via == "feed"
    assert handover.collected_at == left
    case = db.get(DamageCase, handover.case_id)
    assert case is not None and case.open_key is None  # off the street: a new report is a new case
    assert confirm_by_feed(db, city_id=city.id, now=left + timedelta(minutes=2)) == 0


def test_an_available_vehicle_leaving_its_feed_may_be_on_a_trip_and_is_not_collected(
    db: Session, city: City, scout: User
):
    whoosh = builders.company(db, city, "whoosh")
    handover, vehicle = handed(db, scout, whoosh, "W-RIDE", VehicleStatus.available)
    leave_feed(vehicle, utcnow())
    db.flush()
    assert confirm_by_feed(db, city_id=city.id, now=utcnow()) == 0
    assert handover.status == HandoverStatus.handed_over


def mds_event(
    db: Session, company: Company, code: str, types: list[str], at: datetime
) -> VehicleEvent:
    event = VehicleEvent(
        city_id=company.city_id, company_id=company.id, device_id=str(uuid.uuid4()),
        vehicle_id=code, event_id=str(uuid.uuid4()), event_types=types,
        event_types_key=",".join(types), vehicle_state="removed", timestamp=at,
        source="provider",
    )  # fmt: skip
    db.add(event)
    db.flush()
    return event


def test_an_mds_maintenance_pick_up_confirms_the_collection(db: Session, city: City, scout: User):
    yandex = builders.company(db, city, "yandex-go")
    jet = builders.company(db, city, "jet")
    handover, _vehicle = handed(db, scout, yandex, "YG-31", VehicleStatus.available)
    now = utcnow()
    mds_event(db, yandex, "YG-31", ["trip_end"], now)  # not a pick-up
    mds_event(db, jet, "yg-31", ["maintenance_pick_up"], now)  # another company's vehicle
    mds_event(db, yandex, "YG-31", ["maintenance_pick_up"], now - timedelta(days=2))  # long before
    assert confirm_by_mds(db, city_id=city.id, now=now) == 0
    picked = now + timedelta(minutes=20)
    mds_event(db, yandex, "yg-31", ["maintenance_pick_up", "maintenance"], picked)
    assert confirm_by_mds(db, city_id=city.id, now=picked + timedelta(minutes=1)) == 1
    assert handover.status == HandoverStatus.collected and handover.collected_via == "mds"
    assert handover.collected_at == picked


def test_an_overdue_handover_is_escalated_once_and_supervisors_are_emailed(
    db: Session, city: City, scout: User
):
    jet = builders.company(db, city, "jet")
    agree(db, jet, hours=2)
    emails = "lead@tartip.example, duty@tartip.example"
    policy = PolicyUpdate(disabled_after_h=24, escalation_emails=emails)
    agreements.update_policy(db, scope=admin_scope(city), data=policy)
    handover, _vehicle = handed(db, scout, jet, "J-LATE", VehicleStatus.disabled)
    on_time, _v = handed(db, scout, jet, "J-SOON", VehicleStatus.disabled)
    on_time.due_at = handover.due_at + timedelta(hours=5)
    scope = admin_scope(city)
    before_due = handover.due_at - timedelta(minutes=1)
    assert service.escalate(db, city_id=city.id, now=before_due) == []
    assert service.overdue_count(db, scope=scope, now=before_due) == 0

    late = handover.due_at + timedelta(minutes=30)
    assert [h.id for h in service.escalate(db, city_id=city.id, now=late)] == [handover.id]
    assert service.escalate(db, city_id=city.id, now=late + timedelta(hours=1)) == []  # once
    assert handover.escalated_at == late
    assert service.is_overdue(handover, late) and not service.is_overdue(on_time, late)
    overdue = service.list_handovers(
        db, scope=scope, filters=service.HandoverFilter(overdue=True), now=late
    )
    assert [r.handover.id for r in overdue.rows] == [handover.id]
    kinds = db.scalars(
        select(HandoverEvent.kind).where(HandoverEvent.handover_id == handover.id)
    ).all()
    assert EventKind.escalated in kinds

    webhooks.fan_out(db, city=city, base_url="https://tartip.example", now=late)
    mails = db.scalars(select(OutboundEmail).where(OutboundEmail.kind == "damage.escalated")).all()
    assert sorted(m.to for m in mails) == ["duty@tartip.example", "lead@tartip.example"]
    assert all(handover.reference in m.subject for m in mails)

    # Collected late: no longer overdue.
    service.step(db, handover=handover, target=HandoverStatus.collected, by="jet", at=late)
    assert not service.is_overdue(handover, late + timedelta(hours=2))


def test_a_pick_up_where_and_when_the_vehicle_left_its_feed_confirms_it_whatever_its_code(
    db: Session, city: City, scout: User
):
    # The scout's report knows the scooter by its feed id; MDS knows it by the printed code.
    jet = builders.company(db, city, "jet")
    handover, vehicle = handed(db, scout, jet, "feed-uuid-1", VehicleStatus.available)
    left = utcnow() + timedelta(minutes=5)
    leave_feed(vehicle, left)
    db.flush()
    far = mds_event(db, jet, "JT-111", ["maintenance_pick_up"], left + timedelta(minutes=1))
    far.lon, far.lat = CENTRE[0] + 0.01, CENTRE[1]  # about 800 m away: another scooter
    late = mds_event(db, jet, "JT-222", ["maintenance_pick_up"], left + timedelta(hours=1))
    late.lon, late.lat = CENTRE
    db.flush()
    assert confirm_by_mds(db, city_id=city.id, now=left + timedelta(hours=2)) == 0
    picked = mds_event(db, jet, "JT-333", ["maintenance_pick_up"], left + timedelta(minutes=2))
    picked.lon, picked.lat = CENTRE[0] + 0.0003, CENTRE[1]  # 25 m: GPS jitter
    db.flush()
    assert confirm_by_mds(db, city_id=city.id, now=left + timedelta(hours=2)) == 1
    assert handover.status == HandoverStatus.collected and handover.collected_via == "mds"
    assert handover.collected_at == left + timedelta(minutes=2)
