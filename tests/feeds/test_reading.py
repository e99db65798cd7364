"""Reading GBFS liberally: values, vehicle documents, static files (pure, no HTTP, no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec
import pytest

from tartip.core.errors import FeedMalformed
from tartip.feeds.gbfs import discovery, static, values, vehicles
from tartip.fleet.enums import VehicleStatus
from tests.feeds.conftest import FIXTURES


def _body(path: str) -> bytes:
    return (FIXTURES / path).read_bytes().replace(b"{base}", b"https://feeds.test")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1748772000, 1748772000.0),
        ("1748772000", 1748772000.0),
        (1748772000123, 1748772000.123),  # milliseconds
        ("2025-06-01T10:00:00Z", datetime(2025, 6, 1, 10, tzinfo=UTC).timestamp()),
        ("2025-06-01 10:00:00+05:00", datetime(2025, 6, 1, 5, tzinfo=UTC).timestamp()),
        ("2025-06-01 10:00:00", datetime(2025, 6, 1, 10, tzinfo=UTC).timestamp()),  # no offset: UTC
    ],
)
def test_times_are_read_liberally(value, expected):
    assert values.parse_time(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, True, "yesterday", [], -5])
def test_unreadable_times_say_so(value):
    with pytest.raises(ValueError):
        values.parse_time(value)


@pytest.mark.parametrize(
    ("declared", "folder"),
    [
        ("2.3", "2.3"),
        ("v2.2", "2.2"),
        ("3.1-RC3", "3.0"),
        ("2.4", "2.3"),
        ("1.2", "1.1"),
        ("4.0", None),
        (None, None),
    ],
)
def test_declared_versions_pick_the_nearest_older_schema(declared, folder):
    assert values.schema_version(declared) == folder


def test_malformed_json_is_reported_with_line_and_column():
    body = b'{\n  "data": {"bikes": [1, 2,, 3]}\n}'
    with pytest.raises(FeedMalformed) as caught:
        values.decode_json(body)
    assert caught.value.message == "invalid JSON at line 2 column 27: invalid character"


def test_truncated_json_says_it_ends_too_early():
    with pytest.raises(FeedMalformed) as caught:
        vehicles.read_envelope((FIXTURES / "quirks" / "truncated.json").read_bytes())
    assert "ends too early (truncated)" in caught.value.message
    assert caught.value.message.startswith("invalid JSON at line 3 column")


def test_an_html_error_page_is_named_as_such():
    body = (FIXTURES / "quirks" / "error_page.html").read_bytes()
    with pytest.raises(FeedMalformed) as caught:
        vehicles.read_envelope(body, content_type="text/html; charset=utf-8")
    assert caught.value.message == "answered with an HTML page (text/html), not JSON"


def test_a_byte_order_mark_is_forgiven():
    body = b"\xef\xbb\xbf" + _body("almaty-v2.3/system_information.json")
    assert values.decode_json(body)["data"]["system_id"] == "tartip-test-jet"


def test_localized_text_prefers_the_wanted_language():
    names = [{"language": "en", "text": "Scooter"}, {"language": "ru", "text": "Самокат"}]
    assert values.localized(names, ["ru", "en"]) == "Самокат"
    assert values.localized(names, ["kk"]) == "Scooter"
    assert values.localized("plain 2.x", ["ru"]) == "plain 2.x"


def test_gbfs_1x_integer_booleans_ids_and_string_numbers_are_read():
    envelope = vehicles.read_envelope(_body("almaty-v1.1/ru/free_bike_status.json"))
    read = vehicles.read_records(envelope)
    assert read.rejected == []
    first, reserved, disabled = read.observations
    assert first.vehicle_id == "1001"
    assert (first.lon, first.lat) == (76.8897, 43.2389)
    assert first.status is VehicleStatus.available
    assert reserved.status is VehicleStatus.reserved
    assert disabled.status is VehicleStatus.disabled


def test_one_bad_record_is_rejected_with_its_path_and_the_good_ones_kept():
    envelope = vehicles.read_envelope(_body("almaty-v2.3/free_bike_status.json"))
    read = vehicles.read_records(envelope)
    assert [o.vehicle_id for o in read.observations] == ["jet-a1", "jet-a2", "jet-a3", "jet-a9"]
    rejected = {p.where: p.message for p in read.rejected}
    assert rejected == {
        "data.bikes[3].lat": "Expected `float | null`, got `str`",
        "data.bikes[4]": "position 0,0 is not a real place (no GPS fix)",
        "data.bikes[5].lat": "latitude 95.0 is outside -90…90",
        "data.bikes[6]": "duplicate vehicle id 'jet-a1' (first at data.bikes[0])",
        "data.bikes[7]": "no vehicle id (bike_id ≤2.3, vehicle_id 3.0)",
    }
    pro = read.observations[1]
    assert (pro.lat, pro.current_range_meters, pro.vehicle_type_id) == (
        43.2567,
        48000.0,
        "scooter-pro",
    )
    assert read.observations[3].station_id == "hub-arbat"


def test_gbfs_3_times_with_a_space_integer_ids_and_a_vehicle_at_a_station():
    envelope = vehicles.read_envelope(_body("almaty-v3.0/vehicle_status.json"))
    assert envelope.file == "vehicle_status"
    assert envelope.last_updated == datetime(2025, 6, 1, 5, tzinfo=UTC).timestamp()
    read = vehicles.read_records(envelope, stations={"yg-hub-1": (76.9187, 43.2427)})
    one, two, at_hub = read.observations
    assert one.last_reported_at == datetime(2025, 6, 1, 4, 59, 30, tzinfo=UTC)
    assert two.vehicle_id == "2002"
    assert (at_hub.lon, at_hub.lat, at_hub.station_id) == (76.9187, 43.2427, "yg-hub-1")


def test_a_vehicle_without_position_or_known_station_is_rejected():
    envelope = vehicles.read_envelope(_body("almaty-v3.0/vehicle_status.json"))
    read = vehicles.read_records(envelope, stations={})
    assert [p.where for p in read.rejected] == ["data.vehicles[2].lat"]
    assert "no position" in read.rejected[0].message


def test_a_version_that_lies_is_noted_and_the_vehicles_still_read():
    envelope = vehicles.read_envelope((FIXTURES / "quirks" / "lying_version.json").read_bytes())
    assert [p.message for p in envelope.problems] == [
        "declares 2.2 but lists data.vehicles as 3.0 does"
    ]
    assert len(vehicles.read_records(envelope).observations) == 2


def test_a_document_without_vehicles_is_not_a_vehicle_document():
    with pytest.raises(FeedMalformed) as caught:
        vehicles.read_envelope(b'{"last_updated": 1, "ttl": 0, "data": {"stations": []}}')
    assert "neither bikes" in caught.value.message
    with pytest.raises(FeedMalformed) as caught:
        vehicles.read_envelope(b'{"data": [1, 2]}')
    assert caught.value.message.startswith("not a GBFS vehicle document: Expected `object`")


def test_geofencing_rules_are_normalised_to_3_0_names():
    doc = json.loads(_body("almaty-v2.3/geofencing_zones.json"))
    read = static.read_geofences(doc, languages=["ru"], version="2.3")
    arbat, park = read.content.zones
    assert arbat.name == "Арбат: без езды"
    assert arbat.rules == [
        {
            "vehicle_type_ids": ["scooter-standard", "scooter-pro"],
            "ride_start_allowed": False,
            "ride_end_allowed": False,
            "ride_through_allowed": False,
        }
    ]
    assert park.rules == [
        {
            "ride_start_allowed": True,
            "ride_end_allowed": True,
            "ride_through_allowed": True,
            "maximum_speed_kph": 10.0,
        }
    ]
    assert arbat.geometry.geom_type == "MultiPolygon"
    assert [(p.where, p.message) for p in read.rejected] == [
        ("data.geofencing_zones.features[2].geometry", "no geometry; zone skipped")
    ]
    assert [p.message for p in read.notes] == ["an object where an array belongs; read as one rule"]


def test_the_3_0_vehicle_type_id_quirk_and_global_rules():
    doc = json.loads(_body("almaty-v3.0/geofencing_zones.json"))
    read = static.read_geofences(doc, languages=["en"], version="3.0")
    (park,) = read.content.zones
    assert park.name == "Central Park"
    assert park.rules[0]["vehicle_type_ids"] == ["yg-scooter"]
    assert [p.message for p in read.notes] == ["2.x key vehicle_type_id read as vehicle_type_ids"]
    assert read.content.global_rules == [
        {
            "ride_start_allowed": True,
            "ride_end_allowed": True,
            "ride_through_allowed": True,
            "maximum_speed_kph": 25.0,
        }
    ]


def test_stations_types_and_system_information():
    stations = static.read_stations(
        json.loads(_body("almaty-v3.0/station_information.json")), languages=["ru"]
    )
    assert stations.content[0].name == "Парковка у метро Алатау"
    assert stations.content[0].is_virtual
    status = static.read_station_status(json.loads(_body("almaty-v2.3/station_status.json")))
    assert [s.num_vehicles_available for s in status.content] == [4, 0]
    types = static.read_vehicle_types(
        json.loads(_body("almaty-v3.0/vehicle_types.json")), languages=["en"]
    )
    assert types.content[0].name == "Scooter"
    system = static.read_system_information(
        json.loads(_body("almaty-v3.0/system_information.json")), languages=["kk"]
    )
    assert system["name"] == "Сынақ шеринг"
    assert system["timezone"] == "Asia/Almaty"


@pytest.mark.parametrize(
    ("language", "chosen"), [(None, "ru"), ("en", "en"), ("kk", "kk"), ("de", "ru")]
)
def test_gbfs_1x_2x_language_lists(language, chosen):
    doc = json.loads(_body("almaty-v1.1/gbfs.json"))
    found = discovery.read_discovery(doc, language=language, default_locale="ru")
    assert found.language == chosen
    assert (
        found.feeds["free_bike_status"]
        == f"https://feeds.test/almaty-v1.1/{chosen}/free_bike_status.json"
    )
    assert found.version == "1.1"


def test_without_the_wanted_or_city_language_english_is_used():
    doc = json.loads(_body("almaty-v2.3/gbfs.json"))
    del doc["data"]["ru"]
    found = discovery.read_discovery(doc, language=None, default_locale="ru")
    assert found.language == "en"
    assert set(found.feeds) == {"system_information", "free_bike_status"}


def test_discovery_skips_urls_that_are_not_http():
    doc = {"version": "3.0", "data": {"feeds": [{"name": "vehicle_status", "url": "file:x.json"}]}}
    found = discovery.read_discovery(doc, language=None, default_locale="ru")
    assert found.feeds == {}
    assert found.problems[0].message == "'file:x.json' is not an http(s) URL; skipped"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("almaty-v2.3/gbfs.json", "gbfs"),
        ("almaty-v3.0/gbfs.json", "gbfs"),
        ("almaty-v2.3/free_bike_status.json", "free_bike_status"),
        ("almaty-v3.0/vehicle_status.json", "vehicle_status"),
        ("almaty-v2.3/station_information.json", "station_information"),
        ("almaty-v2.3/station_status.json", "station_status"),
        ("almaty-v3.0/geofencing_zones.json", "geofencing_zones"),
        ("almaty-v2.3/system_information.json", "system_information"),
        ("almaty-v2.3/vehicle_types.json", "vehicle_types"),
    ],
)
def test_a_single_file_is_recognised_by_its_shape(path, kind):
    assert discovery.detect_file(_body(path), url="https://x.test/feed") == kind


def test_record_decoding_builds_only_the_fields_used():
    # The typed decoder skips rental URIs and the like: they never become Python objects.
    record = msgspec.json.decode(
        b'{"bike_id": "x", "lat": 43.2, "lon": 76.9, "rental_uris": {"web": "https://x"}}',
        type=vehicles._Record,
        strict=False,
    )
    assert not hasattr(record, "rental_uris")
