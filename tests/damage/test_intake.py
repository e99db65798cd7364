"""Damage reports into cases: once each, merged per vehicle, from scouts, complaints, the feed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.audit.service import Actor
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.damage import agreements, cases, intake, service
from tartip.damage.demo import seed_demo_damage
from tartip.damage.enums import DamageKind, DamageSource, EventKind, HandoverStatus
from tartip.damage.models import CasePhoto, CaseReport, DamageCase, Handover, HandoverEvent
from tartip.damage.schemas import PolicyUpdate
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.ops.enums import DamageKind as OpsDamageKind
from tests import builders
from tests.damage.helpers import CENTRE, admin_scope, agree, make_scout, report_damage


def _cases(db: Session, city: City) -> list[DamageCase]:
    stmt = select(DamageCase).where(DamageCase.city_id == city.id).order_by(DamageCase.id)
    return list(db.scalars(stmt))


def _handover(db: Session, case: DamageCase) -> Handover | None:
    return db.scalars(select(Handover).where(Handover.case_id == case.id)).first()


def test_each_scout_report_is_taken_in_once_and_handed_to_the_vehicles_company(
    db: Session, city: City, tmp_path: Path
):
    jet = builders.company(db, city, "jet")
    agree(db, jet, hours=6)
    vehicle = builders.make_vehicle(
        db, builders.make_feed(db, jet), vehicle_id="JET-1042", lon=CENTRE[0], lat=CENTRE[1]
    )
    scout = make_scout(db, city)
    report = report_damage(
        db, scout, code="jet-1042", description="no brake", photo=True, root=tmp_path
    )
    assert report.company_id == jet.id and report.vehicle_id == vehicle.vehicle_id

    now = utcnow()
    assert intake.from_ops_reports(db, city_id=city.id, now=now) == 1
    assert intake.from_ops_reports(db, city_id=city.id, now=now) == 0  # nothing twice

    (case,) = _cases(db, city)
    assert (case.company_id, case.vehicle_code, case.feed_vehicle_id) == (
        jet.id,
        "JET-1042",
        "JET-1042",
    )
    assert case.kinds == ["broken"] and case.report_count == 1 and case.description == "no brake"
    (row,) = db.scalars(select(CaseReport).where(CaseReport.case_id == case.id))
    assert (row.source, row.ops_damage_report_id, row.source_key) == (
        "scout",
        report.id,
        f"ops:{report.id}",
    )
    photos = list(db.scalars(select(CasePhoto).where(CasePhoto.case_id == case.id)))
    assert len(photos) == 1 and (tmp_path / photos[0].path).is_file()
    handover = _handover(db, case)
    assert handover is not None
    assert handover.status == HandoverStatus.handed_over and handover.company_id == jet.id
    assert handover.due_at - handover.handed_over_at == timedelta(hours=6)  # the agreement's time
    assert handover.reference == f"DH-{case.id:06d}"
    kinds = [
        e.kind
        for e in db.scalars(select(HandoverEvent).where(HandoverEvent.handover_id == handover.id))
    ]
    assert kinds == [EventKind.handed_over]


def test_reports_of_the_same_vehicle_merge_into_one_open_case(db: Session, city: City):
    whoosh = builders.company(db, city, "whoosh")
    builders.make_vehicle(
        db, builders.make_feed(db, whoosh), vehicle_id="WH-77", lon=CENTRE[0], lat=CENTRE[1]
    )
    first, second = make_scout(db, city), make_scout(db, city)
    # One scout types the number, the other scans the QR code (a URL of the company's app).
    report_damage(db, first, code="WH-77", kind=OpsDamageKind.broken, description="bent stem")
    report_damage(
        db, second, code="https://whoosh.app/scooter?id=wh-77", kind=OpsDamageKind.vandalised,
        description="sticker on the display", lon=CENTRE[0] + 0.0002,
    )  # fmt: skip
    assert intake.from_ops_reports(db, city_id=city.id) == 2

    (case,) = _cases(db, city)
    assert case.report_count == 2
    assert case.kinds == ["broken", "vandalised"]
    assert "bent stem" in case.description and "sticker on the display" in case.description
    assert case.lon == CENTRE[0] + 0.0002  # the latest place
    handover = _handover(db, case)
    assert handover is not None
    events = [e.kind for e in service.history(db, handover_ids=[handover.id])[handover.id]]
    assert events == [
        EventKind.handed_over,
        EventKind.report_merged,
    ]  # told once more, not twice over


def test_the_same_code_of_two_companies_is_two_cases(db: Session, city: City):
    for slug in ("jet", "whoosh"):
        company = builders.company(db, city, slug)
        builders.make_vehicle(
            db, builders.make_feed(db, company), vehicle_id="A-1", lon=CENTRE[0], lat=CENTRE[1]
        )
    jet = builders.company(db, city, "jet")
    scout = make_scout(db, city)
    report_damage(db, scout, code="https://jet.example/rent?id=A-1")  # the host names Jet
    incoming = intake.IncomingReport(
        source=DamageSource.staff,
        source_key="staff:1",
        company_id=builders.company(db, city, "whoosh").id,
        code="A-1",
        kinds=[DamageKind.broken],
        reported_at=utcnow(),
    )
    intake.from_ops_reports(db, city_id=city.id)
    intake.add_report(db, city_id=city.id, report=incoming)
    found = _cases(db, city)
    whoosh = builders.company(db, city, "whoosh")
    assert sorted(c.company_id for c in found) == sorted([jet.id, whoosh.id])
    assert {c.vehicle_code for c in found} == {"A-1"}


def test_a_vehicle_reported_again_after_collection_opens_a_new_case(db: Session, city: City):
    jet = builders.company(db, city, "jet")
    builders.make_vehicle(
        db, builders.make_feed(db, jet), vehicle_id="J-5", lon=CENTRE[0], lat=CENTRE[1]
    )
    scout = make_scout(db, city)
    report_damage(db, scout, code="J-5")
    intake.from_ops_reports(db, city_id=city.id)
    (first,) = _cases(db, city)
    handover = _handover(db, first)
    assert handover is not None
    service.step(db, handover=handover, target=HandoverStatus.collected, by="jet", at=utcnow())
    assert first.open_key is None and first.closed_at is not None
    report_damage(db, scout, code="J-5", kind=OpsDamageKind.in_water)
    intake.from_ops_reports(db, city_id=city.id)
    found = _cases(db, city)
    assert len(found) == 2 and found[1].kinds == ["in_water"] and found[1].open_key == found[0].key


def test_a_report_nobody_can_place_waits_for_a_supervisor_to_name_the_company(
    db: Session, city: City
):
    scout = make_scout(db, city)
    report_damage(db, scout, code="ZZ-404")  # no feed has it, no company prefix
    intake.from_ops_reports(db, city_id=city.id)
    (case,) = _cases(db, city)
    assert case.company_id is None and _handover(db, case) is None
    rows, total = cases.list_cases(
        db, scope=admin_scope(city), filters=cases.CaseFilter(status=cases.AWAITING)
    )
    assert total == 1 and rows[0].case.id == case.id
    whoosh = builders.company(db, city, "whoosh")
    handover = cases.hand_over_case(db, scope=admin_scope(city), case_id=case.id, company=whoosh)
    assert handover.company_id == whoosh.id and case.company_id == whoosh.id
    assert case.open_key == f"{whoosh.id}:zz-404"


def test_a_complaint_about_a_damaged_vehicle_joins_the_vehicles_case_once(db: Session, city: City):
    jet = builders.company(db, city, "jet")
    builders.make_vehicle(
        db, builders.make_feed(db, jet), vehicle_id="J-9", lon=CENTRE[0], lat=CENTRE[1]
    )
    report_damage(db, make_scout(db, city), code="J-9")
    intake.from_ops_reports(db, city_id=city.id)
    actor = Actor(user_id=None, label="desk officer")

    def complain() -> DamageCase | None:
        return intake.from_complaint(
            db, city_id=city.id, complaint_id=4242, actor=actor, company_id=jet.id, code="J-9",
            kinds=[DamageKind.missing_parts], description="the seat is gone",
        )  # fmt: skip

    case = complain()
    assert case is not None
    assert complain() is None  # the same complaint again: nothing new
    assert len(_cases(db, city)) == 1
    assert case.kinds == ["broken", "missing_parts"] and case.report_count == 2
    sources = db.scalars(select(CaseReport.source).where(CaseReport.case_id == case.id)).all()
    assert sorted(sources) == ["complaint", "scout"]
    audited = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "damage_case.report")
    )
    assert audited == 1


def test_a_vehicle_disabled_in_its_feed_too_long_becomes_a_case_from_the_feed(
    db: Session, city: City
):
    whoosh = builders.company(db, city, "whoosh")
    feed = builders.make_feed(db, whoosh)
    now = utcnow()
    agreements.update_policy(
        db, scope=admin_scope(city), data=PolicyUpdate(disabled_after_h=12, escalation_emails="")
    )
    long_ago = builders.make_vehicle(
        db, feed, vehicle_id="W-OLD", lon=CENTRE[0], lat=CENTRE[1], status=VehicleStatus.disabled,
        seen_at=now - timedelta(hours=30),
    )  # fmt: skip
    # Appeared long ago, but became disabled only 2 hours ago: not yet.
    recent = builders.make_vehicle(
        db, feed, vehicle_id="W-NEW", lon=CENTRE[0], lat=CENTRE[1], status=VehicleStatus.disabled,
        seen_at=now - timedelta(hours=30),
    )  # fmt: skip
    builders.make_vehicle_change(
        db, recent, kind=ChangeKind.status_changed, at=now - timedelta(hours=2),
        status=VehicleStatus.disabled, previous_status=VehicleStatus.available,
    )  # fmt: skip
    builders.make_vehicle(
        db, feed, vehicle_id="W-STALE", lon=CENTRE[0], lat=CENTRE[1], status=VehicleStatus.disabled,
        seen_at=now - timedelta(hours=30), is_stale=True,
    )  # fmt: skip
    builders.make_vehicle(
        db, feed, vehicle_id="W-OK", lon=CENTRE[0], lat=CENTRE[1], seen_at=now - timedelta(hours=30)
    )

    assert intake.from_feed(db, city_id=city.id, now=now) == 1
    assert intake.from_feed(db, city_id=city.id, now=now + timedelta(minutes=5)) == 0
    (case,) = _cases(db, city)
    assert (case.vehicle_code, case.feed_vehicle_id, case.kinds) == (
        "W-OLD",
        "W-OLD",
        ["disabled_long"],
    )
    (row,) = db.scalars(select(CaseReport).where(CaseReport.case_id == case.id))
    assert row.source == DamageSource.feed
    assert row.source_key == intake.episode_key(long_ago, long_ago.first_seen_at)
    assert _handover(db, case) is not None

    # Eleven hours later the other one has been disabled for 13 h: its turn.
    assert intake.from_feed(db, city_id=city.id, now=now + timedelta(hours=11)) == 1


def test_the_demo_points_each_companys_webhook_at_the_simulator(db: Session, city: City):
    seed_demo_damage(db, city, simulator_base="http://127.0.0.1:8090")
    seed_demo_damage(db, city, simulator_base="http://127.0.0.1:8091")  # re-pointed, not doubled
    whoosh = builders.company(db, city, "whoosh")
    endpoint = agreements.get_endpoint(db, company_id=whoosh.id)
    assert endpoint is not None
    assert endpoint.url == "http://127.0.0.1:8091/whoosh/tartip/webhook"
    assert endpoint.secret == "tartip-sim-whoosh-webhook" and endpoint.active
    caps = agreements.fleet_caps(db, city_id=city.id)
    assert caps[whoosh.id] == 6000 and caps[builders.company(db, city, "jet").id] == 7500
