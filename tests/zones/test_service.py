"""Zone life cycle on both databases: versions in force at past moments, audit, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import MultiPolygon, Point
from sqlalchemy.orm import Session

from tartip.audit import service as audit_service
from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind, ZonePhase
from tartip.zones.schemas import ZoneUpdate
from tests import builders
from tests.zones.helpers import LAT, LON, make_zone, scope, zone_data

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def test_draft_publish_update_retire_keeps_every_version(db: Session, city: City):
    who = scope(city)
    zone = zones_service.create(db, scope=who, data=zone_data(ZoneKind.slow, name="Arbat slow"))
    assert zone.phase == ZonePhase.draft and zone.version == 0
    assert zones_service.in_force(db, city_id=city.id, at=T0 + timedelta(days=9)) == []

    zones_service.publish(db, scope=who, zone_id=zone.id, at=T0)
    zones_service.update(
        db,
        scope=who,
        zone_id=zone.id,
        data=ZoneUpdate(speed_limit_kph=8),
        at=T0 + timedelta(hours=2),
    )
    zones_service.retire(db, scope=who, zone_id=zone.id, at=T0 + timedelta(hours=5))

    def speed_at(moment: datetime) -> int | None:
        version = zones_service.version_at(db, scope=who, zone_id=zone.id, at=moment)
        return version.speed_limit_kph if version else None

    assert speed_at(T0 - timedelta(minutes=1)) is None
    assert speed_at(T0 + timedelta(hours=1)) == 10
    assert speed_at(T0 + timedelta(hours=2)) == 8  # the new version starts at its instant
    assert speed_at(T0 + timedelta(hours=6)) is None  # retired
    versions = zones_service.list_versions(db, scope=who, zone_id=zone.id)
    assert [v.version for v in versions] == [2, 1]
    assert versions[1].in_force_until == T0 + timedelta(hours=2)
    rules = zones_service.in_force(db, city_id=city.id, at=T0 + timedelta(hours=1))
    assert [(r.zone_id, r.speed_limit_kph) for r in rules] == [(zone.id, 10)]


def test_every_change_is_audited_with_who_and_what(db: Session, city: City):
    who = scope(city)
    zone = make_zone(db, city, ZoneKind.parking, publish=True)
    zones_service.update(db, scope=who, zone_id=zone.id, data=ZoneUpdate(capacity=25))
    changes = zones_service.list_changes(db, scope=who, zone_id=zone.id)
    assert [c.action for c in changes] == ["zone.update", "zone.publish", "zone.create"]
    assert changes[0].before["capacity"] == 10 and changes[0].after["capacity"] == 25
    assert changes[0].actor == "test-supervisor"
    entries = audit_service.list_entries(db, city_id=city.id, entity_type="zone")
    assert len(entries) == 3


def test_a_point_with_a_radius_gives_a_disc_to_geometry_consumers(db: Session, city: City):
    zone = make_zone(
        db,
        city,
        ZoneKind.parking,
        publish=True,
        geometry={"type": "Point", "coordinates": [LON, LAT]},
        radius_m=10,
    )
    assert isinstance(zone.geometry, Point) and zone.radius_m == 10
    assert isinstance(zone.area, MultiPolygon)
    (rule,) = zones_service.in_force(db, city_id=city.id, at=datetime.now(UTC))
    assert rule.point == (LON, LAT) and rule.radius_m == 10
    assert rule.geometry.contains(Point(LON + 0.00005, LAT))  # about 4 m east
    assert not rule.geometry.contains(Point(LON + 0.0002, LAT))  # about 16 m east


def test_a_point_without_radius_is_refused(db: Session, city: City):
    with pytest.raises(InvalidInput) as err:
        make_zone(db, city, ZoneKind.parking, geometry={"type": "Point", "coordinates": [LON, LAT]})
    assert "radius_m" in err.value.problems[0].message


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        (ZoneKind.parking, {"capacity": None}, "needs a capacity"),
        (ZoneKind.slow, {"speed_limit_kph": None}, "needs speed_limit_kph"),
        (ZoneKind.no_parking, {"capacity": 5}, "capacity applies to parking places only"),
        (ZoneKind.duty, {"companies": ["nobody"]}, "unknown company"),
    ],
)
def test_the_rule_must_fit_the_kind(db: Session, city: City, kind, fields, message):
    with pytest.raises(InvalidInput) as err:
        make_zone(db, city, kind, **fields)
    assert any(message in p.message for p in err.value.problems)


def test_life_cycle_refuses_wrong_steps(db: Session, city: City):
    who = scope(city)
    zone = make_zone(db, city, publish=True)
    with pytest.raises(Conflict):
        zones_service.publish(db, scope=who, zone_id=zone.id)
    with pytest.raises(Conflict):
        zones_service.discard(db, scope=who, zone_id=zone.id)
    zones_service.retire(db, scope=who, zone_id=zone.id)
    with pytest.raises(Conflict):
        zones_service.update(db, scope=who, zone_id=zone.id, data=ZoneUpdate(name="x"))


def test_codes_are_unique_among_live_zones(db: Session, city: City):
    make_zone(db, city, code="NP-1")
    with pytest.raises(Conflict):
        make_zone(db, city, code="NP-1")


def test_scouts_and_company_reps_cannot_edit(db: Session, city: City):
    for role in (Role.scout, Role.city_viewer, Role.company_rep):
        with pytest.raises(Forbidden):
            zones_service.create(db, scope=scope(city, role), data=zone_data())


def test_company_rep_sees_published_zones_only(db: Session, city: City):
    draft = make_zone(db, city, name="draft")
    published = make_zone(db, city, name="published", publish=True)
    jet = builders.company(db, city, "jet")
    rep = scope(city, Role.company_rep, company_id=jet.id)
    zones, total = zones_service.list_zones(db, scope=rep)
    assert [z.id for z in zones] == [published.id] and total == 1
    with pytest.raises(NotFound):
        zones_service.get_or_raise(db, scope=rep, zone_id=draft.id)
    viewer_zones, _ = zones_service.list_zones(db, scope=scope(city, Role.city_viewer))
    assert {z.id for z in viewer_zones} == {draft.id, published.id}


def test_rules_revision_changes_on_publish_and_retire(db: Session, city: City):
    first = zones_service.rules_revision(db, city_id=city.id)
    zone = make_zone(db, city, publish=True)
    second = zones_service.rules_revision(db, city_id=city.id)
    zones_service.retire(db, scope=scope(city), zone_id=zone.id)
    assert len({first, second, zones_service.rules_revision(db, city_id=city.id)}) == 3
