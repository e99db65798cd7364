"""Each detector with its edges, on hand-made zones and fleets (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import numpy as np
import pytest

from tartip.compliance.detectors import DetectionResult, detect
from tartip.compliance.enums import ViolationKind as VK
from tartip.compliance.rulebook import RuleBook
from tartip.compliance.snapshot import AVAILABLE, DISABLED, FleetSnapshot
from tartip.compliance.thresholds import ThresholdBook, kind_level, zone_level
from tartip.zones.enums import ZoneKind
from tartip.zones.rules import Schedule
from tests.compliance.synthetic import disc_rule, offset, rule, square

AT = datetime(2026, 6, 5, 12, 0, tzinfo=UTC)  # a Friday, 17:00 in Almaty
HOUR = 3600.0
JET, YANDEX, WHOOSH = 1, 2, 3
SLUGS = {JET: "jet", YANDEX: "yandex-go", WHOOSH: "whoosh"}
C = (76.93, 43.25)


def fleet(
    vehicles: list[tuple[float, float, int]],
    *,
    at: datetime = AT,
    parked_h: float | list[float] = 1.0,
    status: list[int] | None = None,
    disabled_h: list[float] | None = None,
) -> FleetSnapshot:
    """Vehicles as (lon, lat, company), parked ``parked_h`` hours ago."""
    now = at.timestamp()
    n = len(vehicles)
    hours = parked_h if isinstance(parked_h, list) else [parked_h] * n
    since = [now - h * HOUR for h in hours]
    return FleetSnapshot.build(
        at=now,
        lon=[v[0] for v in vehicles],
        lat=[v[1] for v in vehicles],
        company=[v[2] for v in vehicles],
        status=status or [AVAILABLE] * n,
        parked_since=since,
        disabled_since=[now - h * HOUR for h in disabled_h] if disabled_h else None,
        row_id=list(range(100, 100 + n)),
        company_slugs=SLUGS,
    )


def near(dx_m: float, dy_m: float = 0.0, company: int = JET) -> tuple[float, float, int]:
    lon, lat = offset(*C, dx_m, dy_m)
    return lon, lat, company


def run(rules, snapshot, *, at=AT, overrides=None) -> DetectionResult:
    book = RuleBook(rules, ThresholdBook(overrides or {}))
    return detect(snapshot, book, at=at)


def kinds(result: DetectionResult) -> dict[str, int]:
    return {d.key: d.count for d in result.detections}


# Parked in a no-parking area


def test_vehicles_left_in_a_no_parking_area_open_one_detection_per_company():
    rules = [rule(7, ZoneKind.no_parking, square(*C, 30))]
    snapshot = fleet([near(0), near(5), near(-5, company=WHOOSH), near(100)])
    found = run(rules, snapshot).of_kind(VK.no_parking)
    assert {d.key: d.count for d in found} == {"no_parking:z7:c1": 2, "no_parking:z7:c3": 1}
    jet = next(d for d in found if d.company_id == JET)
    assert sorted(snapshot.row_id[jet.vehicles].tolist()) == [100, 101]
    assert jet.zone_id == 7 and jet.since == pytest.approx(AT.timestamp() - HOUR)


def test_a_vehicle_just_parked_is_not_yet_left_in_a_no_parking_area():
    rules = [rule(7, ZoneKind.no_parking, square(*C, 30))]
    snapshot = fleet([near(0), near(3)], parked_h=[90 / 3600, 2 / 3600])
    assert kinds(run(rules, snapshot)) == {"no_parking:z7:c1": 1}  # 90 s ≥ 60 s; 2 s is not
    per_zone = {zone_level(7): {"min_parked_s": 1}}
    assert kinds(run(rules, snapshot, overrides=per_zone)) == {"no_parking:z7:c1": 2}


def test_a_parking_place_inside_a_no_parking_area_is_allowed():
    rules = [
        rule(1, ZoneKind.no_parking, square(*C, 100)),
        disc_rule(2, ZoneKind.parking, *C, 10.0, capacity=5),
    ]
    snapshot = fleet([near(0), near(5), near(50)])
    assert kinds(run(rules, snapshot)) == {"no_parking:z1:c1": 1}


def test_overlapping_no_parking_areas_count_a_vehicle_once_for_the_oldest_zone():
    rules = [
        rule(9, ZoneKind.no_parking, square(*C, 40)),
        rule(4, ZoneKind.no_parking, square(*offset(*C, 30, 0), 40)),
    ]
    snapshot = fleet([near(-30), near(0), near(60)])  # in zone 9 only, in both, in zone 4 only
    assert kinds(run(rules, snapshot)) == {"no_parking:z4:c1": 2, "no_parking:z9:c1": 1}


def test_min_vehicles_per_zone_kind_holds_back_a_lone_vehicle():
    rules = [rule(7, ZoneKind.no_parking, square(*C, 30))]
    snapshot = fleet([near(0), near(3, company=WHOOSH), near(6, company=WHOOSH)])
    overrides = {kind_level("no_parking"): {"min_vehicles": 2}}
    assert kinds(run(rules, snapshot, overrides=overrides)) == {"no_parking:z7:c3": 2}


# Schedules


def test_a_schedule_across_midnight_in_almaty_applies_after_midnight_and_not_after_it_ends():
    friday_night = Schedule(days=frozenset({"fri"}), start=time(22, 0), end=time(6, 0))
    rules = [rule(3, ZoneKind.no_parking, square(*C, 30), schedule=friday_night)]
    # Saturday 02:00 in Almaty (UTC+5) is Friday 21:00 UTC: still Friday's window.
    sat_2am = datetime(2026, 6, 5, 21, 0, tzinfo=UTC)
    sat_7am = datetime(2026, 6, 6, 2, 0, tzinfo=UTC)
    fri_9pm = datetime(2026, 6, 5, 16, 0, tzinfo=UTC)
    for at, expected in ((sat_2am, 1), (sat_7am, 0), (fri_9pm, 0)):
        found = run(rules, fleet([near(0)], at=at), at=at).of_kind(VK.no_parking)
        assert len(found) == expected, at


def test_a_parking_place_out_of_hours_does_not_shelter_a_vehicle():
    mornings = Schedule(start=time(6, 0), end=time(10, 0))
    rules = [
        rule(1, ZoneKind.no_parking, square(*C, 100)),
        disc_rule(2, ZoneKind.parking, *C, 10.0, schedule=mornings),
    ]
    assert kinds(run(rules, fleet([near(0)]))) == {"no_parking:z1:c1": 1}


# No-ride zones


def test_vehicles_in_a_no_ride_zone():
    rules = [rule(5, ZoneKind.no_ride, square(*C, 200))]
    found = run(rules, fleet([near(0), near(150, 150, YANDEX), near(300)]))
    assert kinds(found) == {"no_ride:z5:c1": 1, "no_ride:z5:c2": 1}


def test_a_zone_for_one_company_binds_only_that_company():
    rules = [rule(5, ZoneKind.no_ride, square(*C, 200), company_ids=frozenset({WHOOSH}))]
    found = run(rules, fleet([near(0), near(10, company=WHOOSH)]))
    assert kinds(found) == {"no_ride:z5:c3": 1}


# Parking places


def test_a_parking_place_exactly_at_capacity_is_no_violation_one_more_is():
    rules = [disc_rule(2, ZoneKind.parking, *C, 10.0, capacity=3)]
    three = [near(0), near(2), near(-2, company=WHOOSH)]
    assert run(rules, fleet(three)).detections == []
    found = run(rules, fleet([*three, near(0, 2)])).of_kind(VK.over_capacity)
    assert [(d.key, d.count, d.limit, d.company_id) for d in found] == [
        ("over_capacity:z2", 4, 3.0, None)
    ]


def test_capacity_tolerance_per_zone_kind():
    rules = [disc_rule(2, ZoneKind.parking, *C, 10.0, capacity=3)]
    overrides = {kind_level("parking"): {"capacity_tolerance": 1}}
    four = [near(0), near(1), near(2), near(3)]
    assert run(rules, fleet(four), overrides=overrides).detections == []
    assert len(run(rules, fleet([*four, near(4)]), overrides=overrides).detections) == 1


def test_outside_parking_where_parking_places_are_required():
    rules = [
        rule(1, ZoneKind.service_area, square(*C, 500), parking_required=True),
        disc_rule(2, ZoneKind.parking, *C, 10.0),
    ]
    found = run(rules, fleet([near(0), near(50), near(60, company=WHOOSH), near(900)]))
    assert kinds(found) == {
        "outside_parking:z1:c1": 1,
        "outside_parking:z1:c3": 1,
        "outside_service_area:c1": 1,
    }


def test_parking_required_everywhere_by_city_threshold():
    rules = [disc_rule(2, ZoneKind.parking, *C, 10.0)]
    overrides = {"city": {"parking_required": True}}
    found = run(rules, fleet([near(0), near(50), near(900)]), overrides=overrides)
    assert kinds(found) == {"outside_parking:c1": 2}


# Clutter


def test_more_than_n_vehicles_within_r_metres_is_a_clutter_n_is_not():
    five = [near(0), near(3), near(-3), near(0, 3), near(0, -3)]
    assert run([], fleet(five)).of_kind(VK.clutter) == []
    found = run([], fleet([*five, near(2, 2, WHOOSH), near(400)])).of_kind(VK.clutter)
    assert [(d.count, d.company_id, d.limit) for d in found] == [(6, None, 5.0)]


def test_a_clutter_of_one_company_is_that_company_s_and_radius_is_inclusive():
    # Six Jet vehicles on a line 3 m apart: the middle ones have all six within 15 m.
    six = [near(3 * i) for i in range(6)]
    found = run([], fleet(six)).of_kind(VK.clutter)
    assert [(d.count, d.company_id) for d in found] == [(6, JET)]
    spread = [near(0), near(0, 3), near(0, -3), near(3), near(-3), near(19)]
    assert run([], fleet(spread)).of_kind(VK.clutter) == []


def test_vehicles_in_a_parking_place_are_no_clutter_and_thresholds_apply():
    rules = [disc_rule(2, ZoneKind.parking, *C, 10.0, capacity=20)]
    eight = [near(i, 0) for i in range(8)]
    assert run(rules, fleet(eight)).detections == []
    overrides = {"city": {"clutter_count": 10}}
    assert run([], fleet(eight), overrides=overrides).detections == []
    assert len(run([], fleet(eight)).of_kind(VK.clutter)) == 1


def test_a_stricter_clutter_count_in_a_duty_zone_applies_to_vehicles_standing_in_it():
    rules = [rule(8, ZoneKind.duty, square(*C, 30))]
    three = [near(0), near(3), near(-3)]
    assert run(rules, fleet(three)).of_kind(VK.clutter) == []
    per_kind = {kind_level("duty"): {"clutter_count": 2}}
    (found,) = run(rules, fleet(three), overrides=per_kind).of_kind(VK.clutter)
    assert (found.count, found.limit) == (3, 2.0)
    # The same three vehicles outside the duty zone: the city's five holds.
    away = [near(200), near(203), near(197)]
    assert run(rules, fleet(away), overrides=per_kind).of_kind(VK.clutter) == []


def test_a_zone_s_clutter_threshold_wins_over_its_kind_s_and_radius_widens():
    east = offset(*C, 500, 0)
    rules = [rule(8, ZoneKind.duty, square(*C, 60)), rule(9, ZoneKind.duty, square(*east, 60))]
    overrides = {
        kind_level("duty"): {"clutter_count": 2},
        zone_level(8): {"clutter_count": 10},
    }
    three = [near(0), near(3), near(-3)]
    assert run(rules, fleet(three), overrides=overrides).of_kind(VK.clutter) == []
    in_nine = [near(500), near(503), near(497)]
    assert len(run(rules, fleet(in_nine), overrides=overrides).of_kind(VK.clutter)) == 1
    # Zone 8 with a 40 m radius and N = 2: three vehicles 30 m apart are a clutter.
    wide = {zone_level(8): {"clutter_count": 2, "clutter_radius_m": 40}}
    spread = [near(0), near(30), near(-30)]
    assert run(rules, fleet(spread)).of_kind(VK.clutter) == []
    (found,) = run(rules, fleet(spread), overrides=wide).of_kind(VK.clutter)
    assert found.count == 3


# Parked too long, disabled too long


def test_parked_too_long_per_vehicle_with_a_stricter_duty_zone():
    rules = [rule(8, ZoneKind.duty, square(*C, 50))]
    overrides = {zone_level(8): {"parked_too_long_s": 2 * HOUR}}
    snapshot = fleet([near(0), near(200), near(300)], parked_h=[3, 3, 80])
    found = run(rules, snapshot, overrides=overrides).of_kind(VK.parked_too_long)
    assert sorted((d.key, d.limit) for d in found) == [
        ("parked_too_long:v100", 2 * HOUR),
        ("parked_too_long:v102", 72 * HOUR),
    ]


def test_a_parking_hub_may_allow_longer_than_the_city_its_own_value_wins():
    rules = [rule(2, ZoneKind.parking, square(*C, 30), capacity=10)]
    overrides = {kind_level("parking"): {"parked_too_long_s": 100 * HOUR}}
    snapshot = fleet([near(0), near(500)], parked_h=[80, 80])
    found = run(rules, snapshot, overrides=overrides).of_kind(VK.parked_too_long)
    assert [(d.key, d.limit) for d in found] == [("parked_too_long:v101", 72 * HOUR)]


def test_overlapping_zones_that_set_a_limit_the_strictest_wins():
    rules = [rule(2, ZoneKind.duty, square(*C, 100)), rule(3, ZoneKind.slow, square(*C, 100))]
    overrides = {
        zone_level(2): {"disabled_too_long_s": 5 * HOUR},
        zone_level(3): {"disabled_too_long_s": 1 * HOUR},
    }
    snapshot = fleet([near(0)], status=[DISABLED], disabled_h=[2])
    (found,) = run(rules, snapshot, overrides=overrides).of_kind(VK.disabled_too_long)
    assert found.limit == 1 * HOUR


def test_a_disabled_vehicle_left_too_long():
    snapshot = fleet(
        [near(0), near(100), near(200)],
        parked_h=[100, 100, 1],
        status=[DISABLED, DISABLED, AVAILABLE],
        disabled_h=[13, 2, 0],
    )
    found = run([], snapshot)
    assert kinds(found) == {"disabled_too_long:v100": 1}


# Fleet caps, service areas, duty zones


def test_a_company_over_its_fleet_cap_in_the_city_and_in_a_zone():
    rules = [rule(6, ZoneKind.duty, square(*C, 100), fleet_caps={JET: 1})]
    snapshot = fleet([near(0), near(30), near(60, company=WHOOSH), near(500, company=WHOOSH)])
    overrides = {"city": {"fleet_caps": {"whoosh": 1}, "fleet_cap": 5}}
    found = run(rules, snapshot, overrides=overrides).of_kind(VK.fleet_cap)
    assert sorted((d.key, d.count, d.limit) for d in found) == [
        ("fleet_cap:c3", 2, 1.0),
        ("fleet_cap:z6:c1", 2, 1.0),
    ]


def test_a_fleet_cap_per_zone_kind_caps_each_company_in_each_zone_not_the_city():
    rules = [
        rule(6, ZoneKind.duty, square(*C, 100)),
        rule(7, ZoneKind.duty, square(*offset(*C, 1000, 0), 100), fleet_caps={JET: 5}),
    ]
    snapshot = fleet(
        [near(0), near(30), near(60, company=WHOOSH), *[near(1000 + 10 * i, 0) for i in range(3)]]
    )
    overrides = {kind_level("duty"): {"fleet_cap": 1, "fleet_caps": {"whoosh": 3}}}
    found = run(rules, snapshot, overrides=overrides).of_kind(VK.fleet_cap)
    # Zone 6: Jet has 2 > 1; Whoosh 1 ≤ 3. Zone 7: its own cap of 5 for Jet wins over 1.
    assert sorted((d.key, d.count, d.limit) for d in found) == [("fleet_cap:z6:c1", 2, 1.0)]
    city_only = {"city": {"fleet_cap": 1}}
    found = run(rules, snapshot, overrides=city_only).of_kind(VK.fleet_cap)
    assert [d.key for d in found] == ["fleet_cap:c1"]  # no cap per zone from the city's


def test_parking_required_per_zone_kind():
    rules = [rule(8, ZoneKind.duty, square(*C, 100)), disc_rule(2, ZoneKind.parking, *C, 10.0)]
    snapshot = fleet([near(0), near(50), near(900)])
    assert run(rules, snapshot).detections == []
    overrides = {kind_level("duty"): {"parking_required": True}}
    assert kinds(run(rules, snapshot, overrides=overrides)) == {"outside_parking:z8:c1": 1}
    off = {**overrides, zone_level(8): {"parking_required": False}}
    assert run(rules, snapshot, overrides=off).detections == []


def test_outside_the_service_area_uses_the_service_area_kind_s_wait():
    rules = [rule(1, ZoneKind.service_area, square(*C, 100))]
    snapshot = fleet([near(500)], parked_h=0.5)
    assert kinds(run(rules, snapshot)) == {"outside_service_area:c1": 1}
    overrides = {kind_level("service_area"): {"min_parked_s": HOUR}}
    assert run(rules, snapshot, overrides=overrides).detections == []


def test_outside_the_service_area_of_one_company():
    rules = [rule(1, ZoneKind.service_area, square(*C, 100), company_ids=frozenset({WHOOSH}))]
    snapshot = fleet([near(0, company=WHOOSH), near(500, company=WHOOSH), near(500)])
    assert kinds(run(rules, snapshot)) == {"outside_service_area:c3": 1}


def test_a_duty_zone_over_its_target_load_and_the_loads():
    rules = [rule(8, ZoneKind.duty, square(*C, 100), target_load=2)]
    two = [near(0), near(50, company=YANDEX)]
    result = run(rules, fleet(two))
    assert result.detections == [] and result.zone_loads == {8: 2}
    found = run(rules, fleet([*two, near(-50, company=WHOOSH)])).of_kind(VK.duty_overload)
    assert [(d.key, d.count, d.limit, d.company_id) for d in found] == [
        ("duty_overload:z8", 3, 2.0, None)
    ]


def test_a_duty_zone_without_a_target_uses_the_city_target():
    rules = [rule(8, ZoneKind.duty, square(*C, 100))]
    three = [near(0), near(20), near(40)]
    assert run(rules, fleet(three)).detections == []
    overrides = {kind_level("duty"): {"target_load": 2}}
    assert kinds(run(rules, fleet(three), overrides=overrides)) == {"duty_overload:z8": 3}


def test_fingerprint_changes_with_the_vehicles_not_their_order():
    rules = [rule(7, ZoneKind.no_parking, square(*C, 30))]
    a = run(rules, fleet([near(0), near(5)])).detections[0]
    snapshot = fleet([near(0), near(5)])
    b = run(rules, snapshot).detections[0]
    assert a.fingerprint(snapshot) == b.fingerprint(snapshot)
    moved = fleet([near(0), near(5), near(6)])
    c = run(rules, moved).detections[0]
    assert c.fingerprint(moved) != b.fingerprint(snapshot)


def test_an_empty_city_detects_nothing():
    assert run([], fleet([])).detections == []
    assert np.isnan(fleet([near(0)]).disabled_since[0])
    assert AT + timedelta(0) == AT
