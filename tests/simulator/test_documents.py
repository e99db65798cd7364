"""The simulated feeds conform to the official GBFS 2.3 and 3.0 schemas and say what they are."""

from __future__ import annotations

import orjson
import pytest
from jsonschema import Draft7Validator

from tartip.simulator import faults
from tartip.simulator.documents import FeedRenderer
from tartip.simulator.simulation import Simulation
from tests.simulator.conftest import schema_errors

BASE = "http://127.0.0.1:8090"


def feed_name(path: str) -> str:
    return path.rsplit("/", 1)[1].removesuffix(".json")


def test_the_schema_formats_are_really_checked():
    # Without rfc3339-validator / rfc3986-validator, jsonschema skips these formats silently.
    assert {"date-time", "uri", "email", "date"} <= set(Draft7Validator.FORMAT_CHECKER.checkers)


@pytest.mark.parametrize("version", ["2.3", "3.0"])
def test_every_document_validates_against_the_official_schema(
    busy_simulation: Simulation, version: str
):
    documents = busy_simulation.documents(version, base_url=BASE)

    assert len(documents) == (24 if version == "2.3" else 25)
    for path, body in documents.items():
        assert schema_errors(version, feed_name(path), orjson.loads(body)) == [], path


def test_versions_follow_their_own_field_rules(busy_simulation: Simulation):
    old = orjson.loads(busy_simulation.documents("2.3")["jet/gbfs/2.3/free_bike_status.json"])
    new = orjson.loads(busy_simulation.documents("3.0")["jet/gbfs/3.0/vehicle_status.json"])

    assert isinstance(old["last_updated"], int) and old["version"] == "2.3"
    assert new["last_updated"] == busy_simulation.time.isoformat()
    assert new["last_updated"].endswith("+05:00") and new["version"] == "3.0"
    assert old["ttl"] == new["ttl"] == 10
    assert "bike_id" in old["data"]["bikes"][0] and "vehicle_id" in new["data"]["vehicles"][0]
    assert isinstance(old["data"]["bikes"][0]["last_reported"], int)
    assert isinstance(new["data"]["vehicles"][0]["last_reported"], str)


def test_system_information_says_the_data_is_simulated(busy_simulation: Simulation):
    old = orjson.loads(busy_simulation.documents("2.3")["jet/gbfs/2.3/system_information.json"])
    new = orjson.loads(
        busy_simulation.documents("3.0")["yandex-go/gbfs/3.0/system_information.json"]
    )

    assert old["data"]["name"] == "Jet (simulated)"
    assert old["data"]["operator"] == "Simulated data for the Tartip demo — not real vehicles"
    assert old["data"]["language"] == "ru" and old["data"]["timezone"] == "Asia/Almaty"
    assert old["ttl"] >= 300
    assert new["data"]["languages"] == ["ru", "en"]
    assert {"text": "Yandex Go (simulated)", "language": "en"} in new["data"]["name"]
    assert new["data"]["manifest_url"] == f"{BASE}/gbfs/3.0/manifest.json"


def test_discovery_links_are_absolute_and_cover_every_file(simulation_renderer: FeedRenderer):
    discovery = orjson.loads(simulation_renderer.render("whoosh/gbfs/2.3/gbfs.json"))
    feeds = {f["name"]: f["url"] for f in discovery["data"]["ru"]["feeds"]}

    assert feeds["free_bike_status"] == f"{BASE}/whoosh/gbfs/2.3/free_bike_status.json"
    assert {"station_information", "station_status", "geofencing_zones"} <= set(feeds)
    for url in feeds.values():
        assert url.removeprefix(BASE + "/") in simulation_renderer.paths()


def test_only_whoosh_publishes_virtual_stations(busy_simulation: Simulation):
    documents = busy_simulation.documents("3.0")
    stations = orjson.loads(documents["whoosh/gbfs/3.0/station_information.json"])["data"]
    vehicles = orjson.loads(documents["whoosh/gbfs/3.0/vehicle_status.json"])["data"]

    ids = {s["station_id"] for s in stations["stations"]}
    assert len(ids) > 100
    assert all(s["is_virtual_station"] for s in stations["stations"])
    assert all(s["station_area"]["type"] == "MultiPolygon" for s in stations["stations"])
    # Whoosh rides end only at its virtual parking spots.
    assert all(v["station_id"] in ids for v in vehicles["vehicles"])
    assert "jet/gbfs/3.0/station_information.json" not in documents
    assert "yandex-go/gbfs/3.0/station_status.json" not in documents


def test_station_status_counts_the_vehicles_at_each_station(busy_simulation: Simulation):
    documents = busy_simulation.documents("2.3")
    stations = orjson.loads(documents["whoosh/gbfs/2.3/station_status.json"])["data"]["stations"]
    bikes = orjson.loads(documents["whoosh/gbfs/2.3/free_bike_status.json"])["data"]["bikes"]

    free = [b for b in bikes if not b["is_reserved"] and not b["is_disabled"]]
    assert sum(s["num_bikes_available"] for s in stations) == len(free)
    assert sum(s["num_bikes_disabled"] for s in stations) == sum(b["is_disabled"] for b in bikes)


def test_each_company_adopts_its_own_subset_of_the_city_rules(busy_simulation: Simulation):
    documents = busy_simulation.documents("3.0")

    def zone_names(slug: str) -> set[str]:
        data = orjson.loads(documents[f"{slug}/gbfs/3.0/geofencing_zones.json"])["data"]
        features = data["geofencing_zones"]["features"]
        return {
            n["text"] for f in features for n in f["properties"]["name"] if n["language"] == "en"
        }

    jet, yandex, whoosh = zone_names("jet"), zone_names("yandex-go"), zone_names("whoosh")
    assert len(whoosh) == 10  # every 2023 zone that has a geometry
    assert jet < whoosh and yandex < whoosh and jet != yandex
    assert "Tulebayev Street" in yandex and "Tulebayev Street" not in jet


def test_whoosh_global_rule_requires_station_parking(busy_simulation: Simulation):
    documents = busy_simulation.documents("3.0")

    def global_rule(slug: str) -> dict[str, object]:
        data = orjson.loads(documents[f"{slug}/gbfs/3.0/geofencing_zones.json"])["data"]
        rule: dict[str, object] = data["global_rules"][0]
        return rule

    assert global_rule("whoosh")["station_parking"] is True
    assert global_rule("jet")["station_parking"] is False
    assert global_rule("jet")["maximum_speed_kph"] == 25


def test_the_manifest_lists_the_three_companies(simulation_renderer: FeedRenderer):
    manifest = orjson.loads(simulation_renderer.render("gbfs/3.0/manifest.json"))

    datasets = {d["system_id"]: d["versions"] for d in manifest["data"]["datasets"]}
    assert set(datasets) == {"tartip-sim-jet", "tartip-sim-yandex-go", "tartip-sim-whoosh"}
    assert [v["version"] for v in datasets["tartip-sim-jet"]] == ["2.3", "3.0"]


@pytest.mark.parametrize(
    ("version", "record", "expected"),
    [("2.3", faults.BadRecord.lat_999, "999"), ("3.0", faults.BadRecord.missing_id, "vehicle_id")],
)
def test_an_injected_bad_record_breaks_the_schema_among_good_ones(
    busy_simulation: Simulation, version: str, record: faults.BadRecord, expected: str
):
    feed = "free_bike_status" if version == "2.3" else "vehicle_status"
    body = busy_simulation.documents(version)[f"jet/gbfs/{version}/{feed}.json"]

    broken = orjson.loads(faults.inject_bad_record(body, record))

    errors = schema_errors(version, feed, broken)
    assert len(errors) == 1 and expected in errors[0]
    vehicles = broken["data"]["bikes" if version == "2.3" else "vehicles"]
    assert (
        len(vehicles)
        == len(orjson.loads(body)["data"]["bikes" if version == "2.3" else "vehicles"]) + 1
    )
    assert int(errors[0].split("/")[2].split(":")[0]) > 0  # not the first record


def test_an_empty_vehicle_list_still_takes_a_bad_record():
    body = b'{"data":{"vehicles":[]}}'

    broken = orjson.loads(faults.inject_bad_record(body, faults.BadRecord.lat_999))

    assert broken["data"]["vehicles"][0]["lat"] == 999.0


@pytest.fixture(scope="module")
def simulation_renderer(busy_simulation: Simulation) -> FeedRenderer:
    return FeedRenderer(busy_simulation, base_url=BASE)
