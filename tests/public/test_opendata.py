"""The public figures against hand-counted trips and vehicles, and against the domains' own."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.errors import Conflict
from tartip.public import opendata, service
from tartip.reports import reading
from tartip.reports.period import Month, period_for
from tests import builders
from tests.public.fixtures import JUNE_1, JUNE_2, seed_trips, seed_vehicles
from tests.reports import helpers
from tests.trips.test_statistics_rollup import local

JUNE = Month(2026, 6)
AFTER_JUNE = datetime(2026, 7, 3, 12, tzinfo=UTC)


def cell(tables: opendata.TripTables, day, hour: int, code: str) -> int | None:
    key = next(p.key for p in tables.places if p.code == code)
    return tables.hourly[opendata.Cell(day, hour, key)]


def test_a_month_that_is_over_publishes_every_table(db: Session, city: City):
    seed_trips(db, city)
    tables = opendata.trip_tables(db, city=city, month=JUNE, now=AFTER_JUNE)
    assert tables.complete and (tables.first, tables.last) == (JUNE_1, datetime(2026, 6, 30).date())
    assert len(tables.hourly) == 30 * 24 * len(tables.places)  # every cell, zero ones too
    assert cell(tables, JUNE_1, 9, "almaly") == 12
    assert cell(tables, JUNE_1, 9, "medeu") is None  # 3 trips: below k
    assert cell(tables, JUNE_2, 23, "almaly") == 15  # 23:30 local is still 2 June
    assert cell(tables, JUNE_1, 10, "almaly") is None  # zero is hidden like a small count
    shown = [n for n in tables.hourly.values() if n is not None]
    assert sorted(shown) == [12, 15]
    assert tables.total == 30 and tables.exact_total == 30
    assert tables.day_totals[JUNE_1] == 15 and tables.day_totals[JUNE_2] == 15
    assert tables.districts is not None and tables.district_hours is not None
    codes = {p.code: p.key for p in tables.places}
    assert tables.districts[codes["almaly"]] == 27 and tables.districts[codes["medeu"]] is None
    assert tables.district_hours[(codes["almaly"], 9)] == 12
    assert tables.district_hours[(codes["almaly"], 23)] == 15
    # The same trips as the report's reading of the rollup: the figures agree.
    period = period_for(JUNE, timezone=city.timezone, now=AFTER_JUNE)
    assert sum(reading.trips(db, city_id=city.id, period=period).values()) == tables.exact_total


def test_a_month_under_way_publishes_whole_past_days_only(db: Session, city: City):
    seed_trips(db, city)
    # 2 June at 23:45 in Almaty: 2 June is not over, so only 1 June is published.
    tables = opendata.trip_tables(db, city=city, month=JUNE, now=local(JUNE_2, 23, 45))
    assert not tables.complete and (tables.first, tables.last) == (JUNE_1, JUNE_1)
    assert tables.total == 15 and cell(tables, JUNE_1, 9, "almaly") == 12
    assert tables.districts is None and tables.district_hours is None
    with pytest.raises(Conflict, match="not over"):
        opendata.districts_dataset(tables)
    # On the month's first day nothing is over yet.
    first = opendata.trip_tables(db, city=city, month=JUNE, now=local(JUNE_1, 12))
    assert first.first is None and first.total is None and first.hourly == {}


def test_datasets_carry_no_ids_and_leave_small_counts_empty(db: Session, city: City):
    seed_trips(db, city)
    tables = opendata.trip_tables(db, city=city, month=JUNE, now=AFTER_JUNE)
    hourly = opendata.hourly_dataset(tables)
    assert hourly.columns == (
        "date", "hour", "district", "district_name", "district_name_ru", "district_name_kk",
        "trips",
    )  # fmt: skip
    assert all(r["trips"] is None or int(r["trips"]) >= 10 for r in hourly.rows)
    lines = hourly.to_csv().splitlines()
    assert lines[0] == "date,hour,district,district_name,district_name_ru,district_name_kk,trips"
    almaly_9 = next(line for line in lines if line.startswith("2026-06-01,9,almaly,"))
    assert almaly_9.endswith(",12")
    medeu_9 = next(line for line in lines if line.startswith("2026-06-01,9,medeu,"))
    assert medeu_9.endswith(",")  # suppressed: an empty cell, never a number
    daily = opendata.daily_dataset(tables)
    totals = {(r["date"], r["district"]): r["trips"] for r in daily.rows}
    assert totals[("2026-06-01", "all")] == 15 and totals[("2026-06-01", "almaly")] == 12
    districts = opendata.districts_dataset(tables)
    assert {r["district"]: r["trips"] for r in districts.rows}["all"] == 30


def test_vehicles_now_by_district(db: Session, city: City):
    seed_vehicles(db, city)
    found = service.vehicles_now(db, city=city, now=AFTER_JUNE)
    by_code = {d.place.code: d.vehicles for d in found.districts}
    assert found.total == 15  # the two that left the feed are not on the street
    assert by_code["almaly"] == 12 and by_code["medeu"] is None and by_code["outside"] is None


def test_month_results_agree_with_the_domains(db: Session, city: City):
    seed_trips(db, city)
    results = service.month_results(db, city=city, month=JUNE, now=AFTER_JUNE)
    assert results.trips == 30
    # Nothing else happened in June: every other figure is zero, and so hidden.
    assert results.put_in_order is None and results.complaints_received is None
    assert results.damaged_handed_over is None


def test_scooters_put_in_order_count_by_the_citys_month(db: Session, city: City):
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    # 23:30 on 30 June in Almaty is 18:30 UTC: June's. 00:30 on 1 June is 31 May 19:30 UTC: June's.
    helpers.put_in_order(db, {jet: 6, whoosh: 2}, local(date(2026, 6, 30), 23, 30))
    helpers.put_in_order(db, {jet: 4}, local(JUNE_1, 0, 30))
    # 00:30 on 1 July belongs to July, though it is still 30 June in UTC.
    helpers.put_in_order(db, {jet: 50}, local(date(2026, 7, 1), 0, 30))
    results = service.month_results(db, city=city, month=JUNE, now=AFTER_JUNE)
    assert results.put_in_order == 12
    july = service.month_results(db, city=city, month=Month(2026, 7), now=AFTER_JUNE)
    assert july.put_in_order == 50
    # The same as the scorecard's reading of the work logs.
    period = period_for(JUNE, timezone=city.timezone, now=AFTER_JUNE)
    assert sum(reading.put_in_order(db, city_id=city.id, period=period).values()) == 12
    helpers.put_in_order(db, {whoosh: 1}, local(JUNE_2, 12))
    fresh = service.month_results(db, city=city, month=Month(2026, 6), now=AFTER_JUNE)
    assert fresh.put_in_order == 13
