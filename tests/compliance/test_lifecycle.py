"""The violation life cycle on both databases: open once, update, clear, close, restart-safe."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.compliance import jobs, service
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import DutyZoneLoad, Violation
from tartip.compliance.thresholds import kind_level
from tartip.core.geo import METRES_PER_DEGREE
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.zones.enums import ZoneKind
from tests import builders
from tests.compliance.conftest import MINUTE, leave, park, publish_zone, staff_scope
from tests.compliance.synthetic import offset, square

T0 = datetime(2026, 6, 5, 7, 0, tzinfo=UTC)  # a Friday, noon in Almaty
C = (76.9450, 43.2380)


def violations(db: Session, city: City, kind: ViolationKind | None = None) -> list[Violation]:
    stmt = select(Violation).where(Violation.city_id == city.id).order_by(Violation.id)
    if kind is not None:
        stmt = stmt.where(Violation.kind == kind.value)
    db.expire_all()
    return list(db.scalars(stmt))


@pytest.fixture
def no_parking(db: Session, city: City):
    return publish_zone(db, city, ZoneKind.no_parking, square(*C, 40), at=T0 - 60 * MINUTE)


def test_a_condition_opens_one_violation_and_seeing_it_again_adds_none(db, city, feeds, no_parking):
    jet = feeds["jet"]
    park(db, jet, C, since=T0 - 10 * MINUTE)
    park(db, jet, offset(*C, 5, 0), since=T0 - 5 * MINUTE)
    park(db, feeds["whoosh"], offset(*C, 200, 0), since=T0 - 5 * MINUTE)
    _result, outcome = jobs.evaluate(db, city=city, at=T0)
    assert outcome.opened == 1
    (v,) = violations(db, city)
    assert (v.kind, v.zone_id, v.company_id, v.count) == (
        "no_parking",
        no_parking.id,
        builders.company(db, city, "jet").id,
        2,
    )
    assert v.open_key == v.key == f"no_parking:z{no_parking.id}:c{v.company_id}"
    assert v.opened_at == T0 and v.first_seen_at == T0 - 10 * MINUTE
    assert {x["vehicle_id"] for x in v.vehicles} and v.evidence["by_company"] == {"jet": 2}
    assert v.evidence["zone_name"] == "no_parking zone"
    for minutes in (1, 2, 3):
        _r, again = jobs.evaluate(db, city=city, at=T0 + minutes * MINUTE)
        assert (again.opened, again.updated, again.closed) == (0, 0, 0)
    (same,) = violations(db, city)
    assert same.id == v.id and same.last_seen_at == T0 + 2 * MINUTE  # touched once a minute


def test_a_violation_updates_while_it_lasts(db, city, feeds, no_parking):
    first = park(db, feeds["jet"], C, since=T0 - 10 * MINUTE)
    jobs.evaluate(db, city=city, at=T0)
    park(db, feeds["jet"], offset(*C, 3, 3), since=T0 - 2 * MINUTE)
    park(db, feeds["jet"], offset(*C, -3, 3), since=T0 - 2 * MINUTE)
    _r, outcome = jobs.evaluate(db, city=city, at=T0 + MINUTE)
    assert outcome.updated == 1 and outcome.opened == 0
    (v,) = violations(db, city)
    assert (v.count, v.max_count, len(v.vehicles)) == (3, 3, 3)
    leave(db, first)
    jobs.evaluate(db, city=city, at=T0 + 2 * MINUTE)
    (v,) = violations(db, city)
    assert (v.count, v.max_count, v.last_seen_at) == (2, 3, T0 + 2 * MINUTE)
    assert v.first_seen_at == T0 - 2 * MINUTE


def test_a_violation_closes_by_itself_after_the_grace_dated_when_it_cleared(
    db, city, feeds, no_parking
):
    vehicle = park(db, feeds["jet"], C, since=T0 - 10 * MINUTE)
    jobs.evaluate(db, city=city, at=T0)
    leave(db, vehicle)
    _r, outcome = jobs.evaluate(db, city=city, at=T0 + MINUTE)
    (v,) = violations(db, city)
    assert outcome.clearing == 1 and v.closed_at is None and v.cleared_at == T0 + MINUTE
    _r, outcome = jobs.evaluate(db, city=city, at=T0 + 2 * MINUTE)  # grace is 120 s
    assert outcome.closed == 0
    _r, outcome = jobs.evaluate(db, city=city, at=T0 + 3 * MINUTE)
    (v,) = violations(db, city)
    assert outcome.closed == 1
    assert v.closed_at == T0 + MINUTE and v.open_key is None
    # The same condition later is a new violation.
    park(db, feeds["jet"], C, since=T0)
    jobs.evaluate(db, city=city, at=T0 + 10 * MINUTE)
    old, new = violations(db, city)
    assert old.id == v.id and new.closed_at is None and new.key == old.key


def test_a_condition_back_within_the_grace_carries_on(db, city, feeds, no_parking):
    vehicle = park(db, feeds["jet"], C, since=T0 - 10 * MINUTE)
    jobs.evaluate(db, city=city, at=T0)
    leave(db, vehicle)
    jobs.evaluate(db, city=city, at=T0 + MINUTE)
    park(db, feeds["jet"], offset(*C, 1, 1), since=T0 - MINUTE)  # a new id after a short ride
    _r, outcome = jobs.evaluate(db, city=city, at=T0 + 2 * MINUTE)
    assert outcome.updated == 1 and outcome.opened == 0
    (v,) = violations(db, city)
    assert v.cleared_at is None and v.closed_at is None


def test_restarts_carry_on_from_the_database_and_one_open_row_per_key(db, city, feeds, no_parking):
    park(db, feeds["jet"], C, since=T0 - 10 * MINUTE)
    for minutes in range(3):  # each run as a freshly started worker: no state kept
        jobs.evaluate(db, city=city, at=T0 + minutes * MINUTE, state=jobs.CityState())
    (v,) = violations(db, city)
    clone = Violation(city_id=city.id, kind=v.kind, key=v.key, open_key=v.key, lon=v.lon, lat=v.lat)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(clone)
        db.flush()


def test_a_parking_place_over_capacity_then_at_capacity(db, city, feeds):
    place = publish_zone(db, city, ZoneKind.parking, square(*C, 10), at=T0 - MINUTE, capacity=2)
    a = park(db, feeds["jet"], C, since=T0 - MINUTE)
    park(db, feeds["whoosh"], offset(*C, 2, 0), since=T0 - MINUTE)
    jobs.evaluate(db, city=city, at=T0)
    assert violations(db, city) == []
    park(db, feeds["yandex-go"], offset(*C, -2, 0), since=T0)
    jobs.evaluate(db, city=city, at=T0 + MINUTE)
    (v,) = violations(db, city)
    assert (v.kind, v.zone_id, v.company_id, v.count, v.threshold) == (
        "over_capacity",
        place.id,
        None,
        3,
        2.0,
    )
    leave(db, a)
    jobs.evaluate(db, city=city, at=T0 + 2 * MINUTE)
    assert violations(db, city)[0].cleared_at == T0 + 2 * MINUTE


def test_thresholds_per_zone_kind_and_per_zone_change_what_opens(db, city, feeds, no_parking):
    scope = staff_scope(city)
    park(db, feeds["jet"], C, since=T0 - 10 * MINUTE)
    service.set_thresholds(
        db, scope=scope, level=kind_level("no_parking"), values={"min_parked_s": 3600}
    )
    jobs.evaluate(db, city=city, at=T0)
    assert violations(db, city) == []
    service.set_thresholds(
        db, scope=scope, level=f"zone:{no_parking.id}", values={"min_parked_s": 300}
    )
    jobs.evaluate(db, city=city, at=T0 + MINUTE, state=jobs.CityState())
    assert len(violations(db, city, ViolationKind.no_parking)) == 1


def test_disabled_since_comes_from_the_last_status_change(db, city, feeds):
    v = park(db, feeds["jet"], C, since=T0 - 30 * 60 * MINUTE, status=VehicleStatus.disabled)
    builders.make_vehicle_change(
        db, v, kind=ChangeKind.status_changed, at=T0 - 60 * MINUTE, status=VehicleStatus.disabled
    )
    jobs.evaluate(db, city=city, at=T0)
    assert violations(db, city, ViolationKind.disabled_too_long) == []
    jobs.evaluate(db, city=city, at=T0 + timedelta(hours=11, minutes=2))
    (found,) = violations(db, city, ViolationKind.disabled_too_long)
    assert found.key == f"disabled_too_long:v{v.id}" and found.company_id == v.company_id


def test_the_job_records_duty_zone_loads_every_five_minutes(db, city, feeds):
    duty = publish_zone(
        db, city, ZoneKind.duty, square(*C, 100), at=T0 - MINUTE, target_load=1, name="Arbat"
    )
    park(db, feeds["jet"], C, since=T0 - MINUTE)
    park(db, feeds["whoosh"], offset(*C, 20, 0), since=T0 - MINUTE)
    for minutes in range(0, 11):
        jobs.evaluate(db, city=city, at=T0 + minutes * MINUTE)
    rows = list(db.scalars(select(DutyZoneLoad).where(DutyZoneLoad.zone_id == duty.id)))
    assert [(r.at, r.vehicles, r.target_load) for r in rows] == [
        (T0, 2, 1),
        (T0 + 5 * MINUTE, 2, 1),
        (T0 + 10 * MINUTE, 2, 1),
    ]
    assert [r.open_violations for r in rows] == [1, 1, 1]  # the duty zone over its target
    (board,) = service.duty_board(db, scope=staff_scope(city), at=T0 + 11 * MINUTE)
    assert (board.load, board.over_target, board.open_violations, len(board.trend)) == (
        2,
        True,
        1,
        3,
    )


def test_the_job_skips_a_run_when_no_new_snapshot_came(db, city, feeds, no_parking, monkeypatch):
    ctx = type("Ctx", (), {"state": {}})()
    calls = []
    monkeypatch.setattr(jobs, "evaluate", lambda db, **kw: calls.append(kw["at"]))
    jobs.evaluate_job(ctx, db, city)
    jobs.evaluate_job(ctx, db, city)
    assert len(calls) == 1
    feeds["jet"].last_success_at = T0
    db.flush()
    jobs.evaluate_job(ctx, db, city)
    assert len(calls) == 2


def test_a_clutter_that_drifts_into_the_next_cells_stays_one_violation(db, city, feeds):
    vehicles = [park(db, feeds["jet"], offset(*C, i, 0), since=T0 - MINUTE) for i in range(6)]
    cells = set()
    for step in range(8):  # 8 m east a minute: 56 m in all, across at least one 50 m key cell
        result, outcome = jobs.evaluate(db, city=city, at=T0 + step * MINUTE)
        (found,) = result.of_kind(ViolationKind.clutter)
        cells.add(int(found.lon * METRES_PER_DEGREE * math.cos(math.radians(found.lat)) // 50))
        assert outcome.opened == (1 if step == 0 else 0)
        for v in vehicles:
            v.lon = offset(v.lon, v.lat, 8, 0)[0]
        db.flush()
    assert len(cells) >= 2
    assert len(violations(db, city, ViolationKind.clutter)) == 1


def test_the_registered_job_evaluates_a_city(db, city, feeds, no_parking):
    park(db, feeds["jet"], C, since=T0 - 60 * MINUTE)
    ctx = type("Ctx", (), {"state": {}})()
    jobs.evaluate_job(ctx, db, city)
    assert len(violations(db, city, ViolationKind.no_parking)) == 1
