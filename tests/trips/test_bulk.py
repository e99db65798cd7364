"""Idempotent bulk writes: values stored exactly as the ORM stores them, duplicates skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime

from shapely.geometry import LineString
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.db import bulk
from tartip.trips.models import MdsReport, MdsVehicle, Trip
from tests import builders
from tests.trips import mds

AT = datetime(2026, 11, 20, 7, 8, 9, 123456, tzinfo=UTC)


def trip_row(city: City, company_id: int, trip_id: str) -> dict[str, object]:
    return {
        "city_id": city.id, "company_id": company_id, "trip_id": trip_id,
        "device_id": mds.new_id(), "vehicle_id": "J-1", "vehicle_type": "scooter_standing",
        "source": "provider", "start_time": AT, "end_time": AT, "duration_s": 60,
        "distance_m": 100, "start_lon": 76.9, "start_lat": 43.2, "end_lon": 76.91,
        "end_lat": 43.21, "start_district": None, "end_district": None,
        "route": LineString([(76.9, 43.2), (76.91, 43.21)]), "received_at": AT,
        "anonymised_at": None,
    }  # fmt: skip


def test_insert_new_counts_new_rows_and_stores_values_as_the_orm_does(db: Session, city: City):
    company = builders.company(db, city, "jet")
    first, second = mds.new_id(), mds.new_id()
    table = Trip.__table__

    assert bulk.insert_new(db, table, [trip_row(city, company.id, first)]) == 1  # type: ignore[arg-type]
    again = [trip_row(city, company.id, first), trip_row(city, company.id, second)]
    assert bulk.insert_new(db, table, again) == 1  # type: ignore[arg-type]

    # An equality filter on the time finds the row: the stored text is the ORM's own.
    found = db.scalars(select(Trip).where(Trip.start_time == AT, Trip.trip_id == first)).one()
    assert found.start_time == AT and found.route is not None
    assert list(found.route.coords) == [(76.9, 43.2), (76.91, 43.21)]

    report = {
        "city_id": city.id, "company_id": company.id, "start_date": date(2026, 10, 1),
        "duration": "P1M", "special_group_type": "all_riders", "geography_id": "",
        "vehicle_type": "scooter_standing", "trip_count": 5, "rider_count": None,
        "source": "provider", "received_at": AT,
    }  # fmt: skip
    assert bulk.insert_new(db, MdsReport.__table__, [report, report]) == 1  # type: ignore[arg-type]
    assert db.scalars(select(MdsReport.start_date)).all() == [date(2026, 10, 1)]


def test_update_many_writes_json_and_times(db: Session, city: City):
    company = builders.company(db, city, "jet")
    vehicle = MdsVehicle(
        city_id=city.id, company_id=company.id, device_id=mds.new_id(), source="agency"
    )
    db.add(vehicle)
    db.flush()
    change = {
        "id": vehicle.id,
        "state": "removed",
        "state_event_types": ["maintenance_pick_up"],
        "state_at": AT,
    }
    bulk.update_many(db, MdsVehicle.__table__, [change])  # type: ignore[arg-type]
    db.expire_all()
    stored = db.scalars(select(MdsVehicle).where(MdsVehicle.state_at == AT)).one()
    assert (stored.state, stored.state_event_types) == ("removed", ["maintenance_pick_up"])
