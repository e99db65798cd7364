"""Hand-counted trips and vehicles of June 2026 for the public domain's tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.trips import statistics_rollup
from tests import builders
from tests.trips.test_statistics_rollup import ALMALY, MEDEU, add_trip, local

JUNE_1 = date(2026, 6, 1)
JUNE_2 = date(2026, 6, 2)


def seed_trips(db: Session, city: City) -> None:
    """June 2026: 12 Jet trips from Almaly and 3 Whoosh trips from Medeu on 1 June at 9:00,
    15 Yandex trips from Almaly on 2 June at 23:30 (18:30 UTC: still 2 June in Almaty)."""
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    yandex = builders.company(db, city, "yandex-go")
    for _ in range(12):
        add_trip(db, jet, start=local(JUNE_1, 9), origin=ALMALY, destination=MEDEU)
    for _ in range(3):
        add_trip(db, whoosh, start=local(JUNE_1, 9, 20), origin=MEDEU, destination=ALMALY)
    for _ in range(15):
        add_trip(db, yandex, start=local(JUNE_2, 23, 30), origin=ALMALY, destination=ALMALY)
    statistics_rollup.roll_up(db, city=city)


def seed_vehicles(db: Session, city: City) -> None:
    """12 vehicles in Almaly and 3 in Medeu in the feeds; 2 more that left the feed."""
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    jet_feed, whoosh_feed = builders.make_feed(db, jet), builders.make_feed(db, whoosh)
    for i in range(12):
        builders.make_vehicle(db, jet_feed, lon=ALMALY[0] + i * 1e-4, lat=ALMALY[1])
    for i in range(3):
        builders.make_vehicle(db, whoosh_feed, lon=MEDEU[0] + i * 1e-4, lat=MEDEU[1])
    for _ in range(2):
        builders.make_vehicle(db, jet_feed, lon=ALMALY[0], lat=ALMALY[1], in_feed=False)
