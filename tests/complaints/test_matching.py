"""Matching: the live picture for a recent complaint, the fleet's history for an older one; staff
confirm and correct, and the companies follow the vehicles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.complaints import matches, matching
from tartip.complaints.enums import MatchOrigin, MatchState
from tartip.complaints.models import ComplaintCompany
from tartip.core.clock import utcnow
from tartip.core.errors import Forbidden
from tartip.fleet.enums import ChangeKind
from tests import builders
from tests.complaints.helpers import CENTRE, config, file, staff_scope
from tests.ops.helpers import make_duty_zone

NEAR = (CENTRE[0] + 0.0002, CENTRE[1])  # about 16 m east
FAR = (CENTRE[0] + 0.003, CENTRE[1])  # about 240 m east


def by_company(rows, city: City, db: Session) -> dict[str, set[str]]:
    slugs = {builders.company(db, city, s).id: s for s in ("jet", "yandex-go", "whoosh")}
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(slugs[r.company_id], set()).add(r.vehicle_id)
    return out


def links_of(db: Session, complaint_id: int) -> dict[int, ComplaintCompany]:
    return {c.company_id: c for c in matches.companies_of(db, complaint_id=complaint_id)}


def test_a_recent_complaint_finds_the_vehicles_there_now(db: Session, city: City):
    jet = builders.make_feed(db, builders.company(db, city, "jet"))
    whoosh = builders.make_feed(db, builders.company(db, city, "whoosh"))
    builders.make_vehicle(db, jet, vehicle_id="jet-near", lon=NEAR[0], lat=NEAR[1])
    builders.make_vehicle(db, whoosh, vehicle_id="whoosh-far", lon=FAR[0], lat=FAR[1])
    builders.make_vehicle(
        db, whoosh, vehicle_id="whoosh-gone", lon=NEAR[0], lat=NEAR[1], in_feed=False,
        seen_at=utcnow() - timedelta(hours=3),
    )  # fmt: skip
    complaint = file(db, city)
    rows = matches.vehicles_of(db, complaint_id=complaint.id)
    assert by_company(rows, city, db) == {"jet": {"jet-near"}}
    assert rows[0].origin == MatchOrigin.live and 10 < (rows[0].distance_m or 0) < 25
    links = matches.companies_of(db, complaint_id=complaint.id)
    assert [(link.company_id, link.state) for link in links] == [
        (jet.company_id, MatchState.suggested)
    ]


def test_an_older_complaint_reads_the_history(db: Session, city: City):
    now = utcnow()
    then = now - timedelta(hours=5)
    jet = builders.make_feed(db, builders.company(db, city, "jet"))
    yandex = builders.make_feed(db, builders.company(db, city, "yandex-go"))
    # Stood at the place from 6 h ago, ridden away 4 h ago (it is elsewhere now).
    left = builders.make_vehicle(db, jet, vehicle_id="jet-was-there", lon=FAR[0], lat=FAR[1])
    left.lon, left.lat = NEAR
    builders.make_vehicle_change(db, left, kind=ChangeKind.appeared, at=now - timedelta(hours=6))
    left.lon, left.lat = FAR
    builders.make_vehicle_change(db, left, kind=ChangeKind.moved, at=now - timedelta(hours=4))
    # Came to the place only an hour ago: not there at the time.
    late = builders.make_vehicle(db, yandex, vehicle_id="yandex-late", lon=NEAR[0], lat=NEAR[1])
    builders.make_vehicle_change(db, late, kind=ChangeKind.appeared, at=now - timedelta(hours=1))
    # Standing there for days with no change at all: its row says since when.
    still = builders.make_vehicle(
        db, yandex, vehicle_id="yandex-still", lon=CENTRE[0], lat=CENTRE[1] + 0.0001,
        seen_at=now - timedelta(days=1),
    )  # fmt: skip
    still.last_seen_at = now
    db.flush()
    complaint = file(db, city, occurred_at=then, now=now)
    rows = matches.vehicles_of(db, complaint_id=complaint.id)
    assert by_company(rows, city, db) == {"jet": {"jet-was-there"}, "yandex-go": {"yandex-still"}}
    assert {r.origin for r in rows} == {MatchOrigin.history}
    was_there = next(r for r in rows if r.vehicle_id == "jet-was-there")
    assert was_there.seen_at == then and was_there.lon == pytest.approx(NEAR[0])


def test_a_vehicle_that_left_the_feed_before_the_time_is_not_matched(db: Session, city: City):
    now = utcnow()
    jet = builders.make_feed(db, builders.company(db, city, "jet"))
    gone = builders.make_vehicle(db, jet, vehicle_id="jet-gone", lon=NEAR[0], lat=NEAR[1])
    builders.make_vehicle_change(db, gone, kind=ChangeKind.appeared, at=now - timedelta(hours=8))
    builders.make_vehicle_change(db, gone, kind=ChangeKind.left_feed, at=now - timedelta(hours=6))
    gone.in_feed = False
    found = matching.history(
        db, city_id=city.id, lon=CENTRE[0], lat=CENTRE[1], at=now - timedelta(hours=3), now=now,
        params=config().match,
    )  # fmt: skip
    assert found == []
    found = matching.history(
        db, city_id=city.id, lon=CENTRE[0], lat=CENTRE[1], at=now - timedelta(hours=7), now=now,
        params=config().match,
    )  # fmt: skip
    assert [m.vehicle_id for m in found] == ["jet-gone"]


def test_staff_confirm_reject_and_add_and_the_companies_follow(db: Session, city: City):
    jet = builders.make_feed(db, builders.company(db, city, "jet"))
    builders.make_vehicle(db, jet, vehicle_id="jet-near", lon=NEAR[0], lat=NEAR[1])
    complaint = file(db, city)
    lead = staff_scope(city)
    matches.decide_vehicle(
        db, scope=lead, reference=complaint.reference, action="reject", company="jet",
        vehicle_id="jet-near",
    )  # fmt: skip
    links = links_of(db, complaint.id)
    assert links[jet.company_id].state == MatchState.rejected
    whoosh = builders.company(db, city, "whoosh")
    matches.decide_vehicle(
        db, scope=lead, reference=complaint.reference, action="add", company="whoosh",
        vehicle_id="W-1234",
    )  # fmt: skip
    links = links_of(db, complaint.id)
    assert links[whoosh.id].state == MatchState.suggested
    assert links[whoosh.id].origin == MatchOrigin.staff
    matches.decide_company(
        db, scope=lead, reference=complaint.reference, action="add", company="yandex-go"
    )
    states = {
        link.company_id: link.state for link in matches.companies_of(db, complaint_id=complaint.id)
    }
    assert states[builders.company(db, city, "yandex-go").id] == MatchState.confirmed
    # A rematch keeps staff's decisions.
    matches.rematch(db, scope=lead, reference=complaint.reference, config=config())
    rows = {v.vehicle_id: v.state for v in matches.vehicles_of(db, complaint_id=complaint.id)}
    assert rows == {"jet-near": MatchState.rejected, "W-1234": MatchState.confirmed}
    with pytest.raises(Forbidden):
        matches.decide_company(
            db, scope=staff_scope(city, role=Role.city_viewer),
            reference=complaint.reference, action="add", company="jet",
        )  # fmt: skip


def test_the_zone_in_force_is_kept(db: Session, city: City):
    zone = make_duty_zone(db, city, name="Arbat duty")
    complaint = file(db, city)
    assert complaint.zone_id == zone.id
    outside = file(db, city, lon=CENTRE[0] + 0.05)
    assert outside.zone_id is None
