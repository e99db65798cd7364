"""The HTTP face of the simulator, in process: caching, conditional requests, faults, control."""

from __future__ import annotations

import time
from collections.abc import Iterator

import orjson
import pytest
import typer
from starlette.testclient import TestClient

from tartip.simulator.cli import parse_start, parse_versions
from tartip.simulator.server import SimClock, create_simulator_app, is_loopback
from tartip.simulator.simulation import Simulation
from tests.simulator.conftest import make_simulation, schema_errors

BASE = "http://sim.test"
JET_BIKES = "/jet/gbfs/2.3/free_bike_status.json"


@pytest.fixture
def simulation() -> Simulation:
    return make_simulation(vehicles=300)


@pytest.fixture
def client(simulation: Simulation) -> Iterator[TestClient]:
    # Speed 0 stops the clock: the test moves simulated time itself.
    app = create_simulator_app(simulation, BASE, speed=0.0, control=True)
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client


def test_discovery_leads_to_every_feed(client: TestClient):
    manifest = client.get("/gbfs/3.0/manifest.json").json()
    discovery_urls = [v["url"] for d in manifest["data"]["datasets"] for v in d["versions"]]

    assert len(discovery_urls) == 6
    for url in discovery_urls:
        discovery = client.get(url)
        assert discovery.status_code == 200
        assert discovery.headers["content-type"] == "application/json"
        data = discovery.json()["data"]
        for feed in data["ru"]["feeds"] if "ru" in data else data["feeds"]:
            answer = client.get(feed["url"])
            assert answer.status_code == 200, feed["url"]
            assert answer.json()["version"] == discovery.json()["version"]


def test_etag_and_last_modified_answer_304(client: TestClient):
    first = client.get(JET_BIKES, headers={"Accept-Encoding": "identity"})
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    assert first.status_code == 200 and etag.startswith('"')
    assert client.get(JET_BIKES, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(JET_BIKES, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(JET_BIKES, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(JET_BIKES, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = "Mon, 02 Jun 2025 00:00:00 GMT"
    assert client.get(JET_BIKES, headers={"If-Modified-Since": earlier}).status_code == 200


def test_status_feeds_change_every_tick_and_static_feeds_never(
    client: TestClient, simulation: Simulation
):
    static = "/jet/gbfs/3.0/system_information.json"
    before = {p: client.get(p).headers["etag"] for p in (JET_BIKES, static)}

    simulation.step(60)

    assert client.get(JET_BIKES).headers["etag"] != before[JET_BIKES]
    assert client.get(static, headers={"If-None-Match": before[static]}).status_code == 304


def test_big_documents_are_gzipped_when_asked(client: TestClient):
    plain = client.get(JET_BIKES, headers={"Accept-Encoding": "identity"})
    zipped = client.get(JET_BIKES, headers={"Accept-Encoding": "gzip"})

    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.content == plain.content  # the client unzipped it
    assert zipped.headers["etag"] != plain.headers["etag"]
    refused = client.get(JET_BIKES, headers={"Accept-Encoding": "br, gzip;q=0"})
    assert "content-encoding" not in refused.headers


def set_fault(client: TestClient, company: str, **fault: object) -> dict[str, object]:
    answer = client.post(f"/_control/{company}", json=fault)
    assert answer.status_code == 200, answer.text
    state: dict[str, object] = answer.json()
    return state


def test_down_html_error_and_malformed_json(client: TestClient):
    set_fault(client, "jet", mode="down")
    down = client.get(JET_BIKES)
    assert down.status_code == 503 and down.headers["retry-after"] == "60"
    assert client.get("/whoosh/gbfs/2.3/free_bike_status.json").status_code == 200

    set_fault(client, "jet", mode="html_error")
    html = client.get(JET_BIKES)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")

    set_fault(client, "jet", mode="malformed_json")
    cut = client.get(JET_BIKES)
    assert cut.status_code == 200 and cut.headers["content-type"] == "application/json"
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(cut.content)

    set_fault(client, "jet", mode="ok")
    assert client.get(JET_BIKES).status_code == 200


def test_slow_answers_after_the_delay(client: TestClient):
    set_fault(client, "yandex-go", mode="slow", delay_s=0.3)

    began = time.perf_counter()
    answer = client.get("/yandex-go/gbfs/3.0/vehicle_status.json")

    assert answer.status_code == 200 and time.perf_counter() - began >= 0.3


def test_one_bad_record_among_good_ones(client: TestClient):
    good = client.get(JET_BIKES).json()
    set_fault(client, "jet", mode="bad_record", record="missing_id")

    bad = client.get(JET_BIKES)

    assert bad.headers["etag"] != client.get("/jet/gbfs/2.3/gbfs.json").headers["etag"]
    assert len(bad.json()["data"]["bikes"]) == len(good["data"]["bikes"]) + 1
    (error,) = schema_errors("2.3", "free_bike_status", bad.json())
    assert "'bike_id' is a required property" in error


def test_a_fault_can_target_some_feeds_of_all_companies(client: TestClient):
    state = set_fault(client, "all", mode="down", feeds=["vehicle_status"])

    assert state["faults"]["whoosh"]["mode"] == "down"  # type: ignore[index]
    assert client.get("/whoosh/gbfs/3.0/vehicle_status.json").status_code == 503
    assert client.get("/whoosh/gbfs/3.0/gbfs.json").status_code == 200
    assert client.get("/whoosh/gbfs/2.3/free_bike_status.json").status_code == 200


def test_control_refuses_bad_requests(client: TestClient):
    invalid = client.post("/_control/jet", json={"mode": "broken", "delay_s": -1, "x": 1})
    assert invalid.status_code == 422
    wheres = {p["where"] for p in invalid.json()["problems"]}
    assert wheres == {"mode", "delay_s", "x"}
    assert client.post("/_control/bolt", json={"mode": "down"}).status_code == 404
    assert client.post("/_control/jet", content=b"{").status_code == 422
    assert client.get("/_control").json()["faults"]["jet"]["mode"] == "ok"


def test_control_can_be_switched_off(simulation: Simulation):
    app = create_simulator_app(simulation, BASE, speed=0.0, control=False)
    with TestClient(app, base_url=BASE) as client:
        assert client.post("/_control/jet", json={"mode": "down"}).status_code == 404
        assert client.get(JET_BIKES).status_code == 200


def test_links_follow_the_request_when_no_base_url_is_set(simulation: Simulation):
    app = create_simulator_app(simulation, None, speed=0.0)
    with TestClient(app, base_url="http://other.test:9000") as client:
        feeds = client.get("/jet/gbfs/3.0/gbfs.json").json()["data"]["feeds"]
        index = client.get("/").json()

    assert feeds[0]["url"].startswith("http://other.test:9000/jet/gbfs/3.0/")
    assert index["simulated"] is True


def test_unknown_paths_are_404(client: TestClient):
    assert client.get("/jet/gbfs/2.2/gbfs.json").status_code == 404
    assert client.get("/bolt/gbfs/3.0/gbfs.json").status_code == 404


def test_status_ttl_counts_wall_clock_seconds(simulation: Simulation):
    def ttl(speed: float) -> int:
        app = create_simulator_app(simulation, BASE, speed=speed)
        with TestClient(app, base_url=BASE) as client:
            ttl: int = client.get(JET_BIKES).json()["ttl"]
        return ttl

    assert ttl(1.0) == 10
    assert ttl(0.5) == 20
    assert ttl(60.0) == 0  # several ticks a second: always refresh


def test_the_clock_maps_wall_time_to_simulated_time():
    clock = SimClock(sim_start=1_000.0, wall_start=50.0, speed=60.0)

    assert clock.simulated(51.0) == 1_060.0
    assert clock.wall(1_060.0) == 51.0


def test_the_server_advances_the_simulation_with_the_clock():
    simulation = make_simulation(vehicles=30)
    app = create_simulator_app(simulation, BASE, speed=600.0)
    with TestClient(app, base_url=BASE):
        time.sleep(0.3)  # 180 simulated seconds

    assert simulation.tick >= 10


def test_loopback_hosts_and_cli_arguments():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")
    assert parse_start("2025-06-02T08:00", "Asia/Almaty").isoformat() == "2025-06-02T08:00:00+05:00"
    assert parse_versions("3.0, 2.3") == ("3.0", "2.3")
    with pytest.raises(typer.BadParameter):
        parse_versions("1.1")
