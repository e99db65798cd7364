"""Reading MDS Provider pages, 2.0 and 1.2: records, rejections with paths, schema problems."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tartip.feeds.enums import MdsEndpoint
from tartip.trips.provider_read import read_page, read_report
from tartip.trips.records import EventRecord, StatusRecord, TripRecord, derived_event_id
from tests.trips import mds

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def encode(doc: object) -> bytes:
    return json.dumps(doc).encode()


def test_mds_2_0_trips_page_with_paging_link():
    device = mds.new_id()
    trip = mds.trip(device, T0)
    body = encode(mds.page_20("trips", [trip], links={"next": "https://x.example/trips?p=2"}))

    page = read_page(body, endpoint=MdsEndpoint.trips, version="2.0", sample=10)

    assert page.error is None and page.next_url == "https://x.example/trips?p=2"
    assert page.rejected == [] and page.schema == [] and page.notes == []
    record = page.records[0]
    assert isinstance(record, TripRecord)
    assert (record.trip_id, record.device_id, record.duration_s) == (trip["trip_id"], device, 720)
    assert (record.start_lon, record.start_lat) == mds.ALMATY


def test_liberal_reading_of_quirks_that_keep_their_meaning():
    device = mds.new_id().upper()
    event = mds.event(device, T0, "available", ["provider_drop_off"])
    event["timestamp"] = event["timestamp"] // 1000  # seconds, not milliseconds
    event["battery_percent"] = "55"  # a number as a string

    page = read_page(
        encode(mds.page_20("events", [event])),
        endpoint=MdsEndpoint.events_historical,
        version="2.0",
        sample=None,
    )

    record = page.records[0]
    assert isinstance(record, EventRecord)
    assert record.device_id == device.lower() and record.timestamp_ms == mds.ms(T0)
    assert record.battery_percent == 55
    assert [p.where for p in page.schema] == [
        "events[0].device_id",
        "events[0].timestamp",
        "events[0].battery_percent",
    ]


def test_bad_records_are_rejected_one_by_one_with_their_path():
    device = mds.new_id()
    good = mds.event(device, T0, "available", ["provider_drop_off"])
    unknown_state = mds.event(device, T0, "parked", ["provider_drop_off"])
    too_old = mds.event(device, T0, "available", ["located"], timestamp=1000)
    not_an_object = 17
    doc = mds.page_20("events", [good, unknown_state, too_old, not_an_object])

    page = read_page(encode(doc), endpoint=MdsEndpoint.events_recent, version="2.0", sample=None)

    assert len(page.records) == 1 and page.total == 4
    assert [(p.where, p.message) for p in page.rejected] == [
        ("events[1].vehicle_state", "'parked' is not an MDS micromobility state"),
        ("events[2].timestamp", "1000000 is before 2018 (MDS timestamps are milliseconds)"),
        ("events[3]", "Expected `object`, got `int`"),
    ]


def test_a_document_that_is_not_mds_is_an_error_not_an_exception():
    assert read_page(
        b"<html>", endpoint=MdsEndpoint.trips, version="2.0", sample=5
    ).error.startswith("not JSON")
    missing = read_page(
        encode({"version": "2.0.0"}), endpoint=MdsEndpoint.trips, version="2.0", sample=5
    )
    assert missing.error == "no 'trips' array in the answer"
    other = read_page(
        encode(mds.page_20("trips", []) | {"version": "1.2.0"}),
        endpoint=MdsEndpoint.trips,
        version="2.0",
        sample=5,
    )
    assert [(n.where, n.message) for n in other.notes] == [
        ("version", "'1.2.0' answered where 2.0 was asked")
    ]


def test_mds_1_2_trip_takes_its_ends_from_the_route():
    device = mds.new_id()
    trip = mds.trip_12(device, T0)
    page = read_page(
        encode(mds.page_12("trips", [trip])), endpoint=MdsEndpoint.trips, version="1.2", sample=5
    )

    record = page.records[0]
    assert page.rejected == [] and page.schema == []
    assert (record.start_lon, record.start_lat) == mds.ALMATY and (
        record.end_lon,
        record.end_lat,
    ) == (76.9450, 43.2380)
    assert record.route is not None and len(record.route) == 3 and record.vehicle_id == "Y-0042"


def test_mds_1_2_status_changes_get_a_stable_event_id():
    device = mds.new_id()
    change = mds.status_change_12(device, T0, "non_operational", ["battery_low"], battery_pct=0.12)
    body = encode(mds.page_12("status_changes", [change]))

    first = read_page(
        body, endpoint=MdsEndpoint.events_historical, version="1.2", sample=5
    ).records[0]
    again = read_page(
        body, endpoint=MdsEndpoint.events_historical, version="1.2", sample=5
    ).records[0]

    assert (
        first.event_id
        == again.event_id
        == derived_event_id(device, mds.ms(T0), "non_operational", ["battery_low"])
    )
    assert first.battery_percent == 12 and first.vehicle_id == "Y-0042"


def test_mds_2_0_vehicle_status_gives_the_last_event():
    device = mds.new_id()
    status = {
        "device_id": device,
        "provider_id": mds.PROVIDER_ID,
        "last_event": mds.event(device, T0, "reserved", ["reservation_start"]),
        "last_telemetry": mds.telemetry(device, T0),
    }
    page = read_page(
        encode(mds.page_20("vehicles_status", [status], last_updated=mds.ms(T0), ttl=0)),
        endpoint=MdsEndpoint.vehicles_status,
        version="2.0",
        sample=5,
    )

    record = page.records[0]
    assert isinstance(record, StatusRecord) and record.last_event is not None
    assert record.last_event.vehicle_state == "reserved" and page.last_updated_ms == mds.ms(T0)


def test_sampled_schema_check_reports_the_index_in_the_full_page():
    device = mds.new_id()
    trips = [mds.trip(device, T0 + timedelta(minutes=i)) for i in range(30)]
    trips[29]["provider_id"] = "not-a-uuid"

    page = read_page(
        encode(mds.page_20("trips", trips)), endpoint=MdsEndpoint.trips, version="2.0", sample=4
    )

    assert {p.where for p in page.schema} == {"trips[29].provider_id"}  # pattern and format
    assert page.sampled is not None and page.sampled.message == "schema checked on 4 of 30 records"
    assert len(page.records) == 30  # a schema problem alone does not reject the record


def test_report_csv_rows_and_suppressed_counts():
    body = (
        b"provider_id,start_date,duration,special_group_type,geography_id,vehicle_type,trip_count,rider_count\n"
        b"p,2026-10-01,P1M,all_riders,,scooter_standing,120,-1\n"
        b"p,2026-10-01,P1M,low_income,,scooter_standing,x,3\n"
    )
    rows, problems = read_report(body)
    assert [(r.trip_count, r.rider_count) for r in rows] == [(120, None)]
    assert [p.where for p in problems] == ["line 3"]
