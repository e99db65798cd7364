"""Districts: seeded with the city, and the locator that finds the district of many points."""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy.orm import Session

from tartip.cities import districts
from tartip.cities import service as cities_service
from tartip.cities.models import City, District

# Known places and their district (spot checks of the shipped data's SOURCES.md, by OSM).
PLACES = {
    "medeu": (76.9530, 43.2565),  # Green Bazaar
    "almaly": (76.9200, 43.2450),  # Abay Ave near the Opera house
    "turksib": (76.9420, 43.3400),  # Almaty-1 station
}


def _by_code(db: Session, city: City) -> dict[str, District]:
    return {d.code: d for d in districts.list_districts(db, city_id=city.id)}


def test_city_seed_brings_almatys_eight_districts_once(db: Session, city: City):
    found = _by_code(db, city)
    assert sorted(found) == [
        "alatau", "almaly", "auezov", "bostandyk", "medeu", "nauryzbay", "turksib", "zhetysu",
    ]  # fmt: skip
    assert found["almaly"].label("ru") == "Алмалинский район"
    assert found["almaly"].label("kk") == "Алмалы ауданы"
    assert found["almaly"].label("en") == "Almaly"
    cities_service.seed_almaty(db)  # seeding again adds nothing
    assert len(districts.list_districts(db, city_id=city.id)) == 8


def test_a_point_inside_each_district_is_located_in_it(db: Session, city: City):
    found = _by_code(db, city)
    inner = [d.geometry.representative_point() for d in found.values()]
    located = districts.locator(db, city_id=city.id).locate(
        [p.x for p in inner], [p.y for p in inner]
    )
    assert located == [d.id for d in found.values()]


def test_known_places_and_points_outside_the_city(db: Session, city: City):
    found = _by_code(db, city)
    lons = [PLACES[c][0] for c in PLACES] + [77.5, 76.0]
    lats = [PLACES[c][1] for c in PLACES] + [43.5, 43.0]
    located = districts.locator(db, city_id=city.id).locate(lons, lats)
    assert located == [found[c].id for c in PLACES] + [None, None]


def test_a_point_in_the_gap_between_districts_goes_to_the_nearest_within_tolerance(
    db: Session, city: City
):
    found = _by_code(db, city)
    almaly = found["almaly"].geometry
    # A point 40 m north of Almaly's northernmost vertex lies in no district polygon there
    # unless a neighbour covers it; either way it must get a district, never None.
    north = max(shapely.get_coordinates(almaly), key=lambda c: c[1])
    near = (north[0], north[1] + 40 / 111_320)
    far = (north[0], north[1] + 0.05)  # 5.5 km north: inside Zhetysu or Turksib, not Almaly
    loc = districts.locator(db, city_id=city.id)
    got_near, got_far = loc.locate([near[0], far[0]], [near[1], far[1]])
    assert got_near is not None
    assert got_far != found["almaly"].id
    # A point 1 km outside the outermost edge of the districts is in none of them.
    everything = shapely.union_all([d.geometry for d in found.values()])
    min_x, min_y, max_x, max_y = everything.bounds
    assert loc.locate([max_x + 0.013], [(min_y + max_y) / 2]) == [None]


def test_the_locator_is_cached_and_rebuilt_when_districts_change(db: Session, city: City):
    first = districts.locator(db, city_id=city.id)
    assert districts.locator(db, city_id=city.id) is first
    db.delete(db.get(District, first.ids[0]))
    db.flush()
    second = districts.locator(db, city_id=city.id)
    assert second is not first and len(second.ids) == 7


def test_a_hundred_thousand_points_are_located_as_shapely_would(db: Session, city: City):
    loc = districts.locator(db, city_id=city.id)
    rng = np.random.default_rng(6)
    lons = rng.uniform(76.75, 77.10, 100_000)
    lats = rng.uniform(43.15, 43.40, 100_000)
    # How fast is measured by the ingest benchmark (tests/bench), not here.
    located = loc.locate(lons.tolist(), lats.tolist())
    # Cross-check a sample against plain Shapely predicates, one point at a time.
    geoms = {d.id: d.geometry for d in districts.list_districts(db, city_id=city.id)}
    for i in range(0, 100_000, 997):
        point = shapely.Point(lons[i], lats[i])
        inside = [d for d, g in geoms.items() if g.contains(point)]
        found = located[i]
        if inside:
            assert found == inside[0]
        elif found is not None:
            assert geoms[found].distance(point) * 111_320 < districts.GAP_TOLERANCE_M
