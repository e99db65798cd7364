"""Rule adoption: the company's own geofencing zones against the city's rules."""

from __future__ import annotations

import shapely
from shapely.geometry import MultiPolygon

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.compliance import adoption
from tartip.compliance.adoption import AdoptionStatus, CompanyZone, compare
from tartip.core.clock import utcnow
from tartip.feeds.models import CompanyGeofence
from tartip.zones.enums import ZoneKind
from tests import builders
from tests.compliance.conftest import MINUTE, publish_zone, staff_scope
from tests.compliance.synthetic import offset, rule, square

C = (76.9450, 43.2380)
NO_RIDE = {"ride_start_allowed": False, "ride_end_allowed": False, "ride_through_allowed": False}


def test_a_matching_zone_with_an_equal_or_stricter_rule_is_adopted():
    rules = [
        rule(1, ZoneKind.no_ride, square(*C, 100)),
        rule(2, ZoneKind.slow, square(*offset(*C, 1000, 0), 100), speed_limit_kph=10),
        rule(3, ZoneKind.no_parking, square(*offset(*C, 2000, 0), 30)),
    ]
    zones = [
        CompanyZone("park", square(*offset(*C, 5, 5), 100), [NO_RIDE]),
        CompanyZone("panfilov", square(*offset(*C, 1000, 0), 95), [{"maximum_speed_kph": 8}]),
        CompanyZone("metro", square(*offset(*C, 2000, 0), 30), [{"ride_end_allowed": False}]),
    ]
    found = compare(rules, zones)
    assert [(r.zone_id, r.status) for r in found] == [
        (1, AdoptionStatus.adopted),
        (2, AdoptionStatus.adopted),
        (3, AdoptionStatus.adopted),
    ]
    assert found[0].iou > 0.9 and found[0].company_zones == ["park"]


def test_weaker_rules_small_overlaps_and_no_zones_at_all():
    rules = [
        rule(2, ZoneKind.slow, square(*C, 100), speed_limit_kph=10),
        rule(3, ZoneKind.no_ride, square(*offset(*C, 1000, 0), 100)),
    ]
    zones = [
        CompanyZone("fast", square(*C, 100), [{"maximum_speed_kph": 20}]),
        CompanyZone("corner", square(*offset(*C, 1080, 80), 40), [NO_RIDE]),
    ]
    found = compare(rules, zones)
    assert [r.status for r in found] == [AdoptionStatus.weaker, AdoptionStatus.missing]
    assert [r.status for r in compare(rules, [])] == [AdoptionStatus.no_geofences] * 2


def test_a_rule_for_some_vehicle_types_only_is_not_enough_and_pieces_add_up():
    r = rule(1, ZoneKind.no_ride, square(*C, 100))
    mixed = [NO_RIDE, {"vehicle_type_ids": ["bike"], "ride_through_allowed": True}]
    assert compare([r], [CompanyZone("z", square(*C, 100), mixed)])[0].status == "weaker"
    x0, y0, x1, y1 = r.geometry.bounds
    west = shapely.box(x0, y0, C[0], y1)
    east = shapely.box(C[0], y0, x1, y1)
    halves = [CompanyZone("w", west, [NO_RIDE]), CompanyZone("e", east, [NO_RIDE])]
    assert compare([r], halves)[0].status == AdoptionStatus.adopted
    assert compare([r], halves[:1], iou_threshold=0.6)[0].status == AdoptionStatus.missing


def test_rule_adoption_reads_the_stored_geofences(db, city, feeds):
    publish_zone(db, city, ZoneKind.no_ride, square(*C, 100), at=utcnow() - MINUTE, name="Park")
    whoosh = feeds["whoosh"]
    db.add(
        CompanyGeofence(
            city_id=city.id,
            company_id=whoosh.company_id,
            feed_id=whoosh.id,
            name="Whoosh park",
            geometry=MultiPolygon([square(*C, 98)]),
            rules=[NO_RIDE],
            fetched_at=utcnow(),
        )
    )
    db.flush()
    found = {a.company.slug: a for a in adoption.rule_adoption(db, scope=staff_scope(city))}
    assert found["whoosh"].adopted == 1 and found["whoosh"].rules[0].zone_name == "Park"
    assert found["jet"].rules[0].status == AdoptionStatus.no_geofences
    rep = builders.make_user(db, city, username="rep", role=Role.company_rep, company_slug="jet")
    scope = auth_service.scope_for(rep, default_city_id=city.id)
    assert [a.company.slug for a in adoption.rule_adoption(db, scope=scope)] == ["jet"]
