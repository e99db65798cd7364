"""The MDS Provider APIs over HTTP, in process: schemas, paging, hours, versions, auth, faults."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
import pytest
from starlette.testclient import TestClient

from tartip.simulator.config import SimulatorConfig
from tartip.simulator.history import HOUR_S
from tartip.simulator.mds import MdsData
from tartip.simulator.server import create_simulator_app
from tartip.simulator.simulation import Simulation
from tests.simulator.conftest import make_simulation
from tests.simulator.mds_schemas import model_errors, provider_errors, v12_errors

BASE = "http://sim.test"
SLUGS = ["jet", "yandex-go", "whoosh"]
V20 = "application/vnd.mds+json;version=2.0"
V12 = "application/vnd.mds.provider+json;version=1.2"
JET = {"Accept": V20, "Authorization": "Bearer tartip-sim-jet-token"}


def hour_text(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H")


@pytest.fixture(scope="module")
def simulation() -> Simulation:
    """600 scooters at 09:01: hours 01 and 02 UTC are served, 03 is being processed."""
    simulation = make_simulation(vehicles=600)
    simulation.step(3 * 3600 + 60)
    return simulation


@pytest.fixture
def client(simulation: Simulation) -> Iterator[TestClient]:
    config = SimulatorConfig.for_companies(SLUGS, mds_page_size=40)
    app = create_simulator_app(simulation, BASE, speed=0.0, config=config)
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client


def walk(client: TestClient, url: str, headers: dict[str, str], name: str) -> list[dict[str, Any]]:
    """Every record of a paged list, following links.next; each page checked."""
    records: list[dict[str, Any]] = []
    pages = 0
    while url:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        page = body["data"][name] if "data" in body else body[name]
        records += page
        url = body["links"]["next"]
        pages += 1
        assert pages < 200
    return records


def test_vehicles_and_status_are_valid_and_paged(client: TestClient, simulation: Simulation):
    first = client.get("/jet/mds/vehicles", headers=JET)
    assert first.status_code == 200
    assert first.headers["content-type"] == V20
    assert provider_errors("/vehicles", first.json()) == []
    assert first.json()["links"]["next"].startswith(f"{BASE}/jet/mds/vehicles?cursor=")

    vehicles = walk(client, "/jet/mds/vehicles", JET, "vehicles")
    assert len({v["device_id"] for v in vehicles}) == len(vehicles) == simulation.fleet_counts[0]

    status = client.get("/jet/mds/vehicles/status", headers=JET).json()
    assert provider_errors("/vehicles/status", status) == []
    assert status["last_updated"] == round(simulation.timestamp * 1000)
    assert status["ttl"] == 300_000  # speed 0: the data changes only when the test says
    listed = walk(client, "/jet/mds/vehicles/status", JET, "vehicles_status")
    assert {s["device_id"] for s in listed} <= {v["device_id"] for v in vehicles}
    assert len(listed) == len(MdsData(simulation).listed(0))


def test_one_vehicle_by_device_id(client: TestClient, simulation: Simulation):
    device = simulation.identities.device_ids[3]
    one = client.get(f"/jet/mds/vehicles/{device}", headers=JET).json()
    status = client.get(f"/jet/mds/vehicles/status/{device}", headers=JET).json()

    assert provider_errors("/vehicles/{device_id}", one) == []
    assert provider_errors("/vehicles/status/{device_id}", status) == []
    assert one["vehicles"][0]["vehicle_id"] == simulation.identities.codes[3]
    whoosh_device = simulation.identities.device_ids[-1]
    assert client.get(f"/jet/mds/vehicles/{whoosh_device}", headers=JET).status_code == 404


def test_an_hour_of_trips_events_and_telemetry(client: TestClient, simulation: Simulation):
    hour = int(simulation.timestamp) // HOUR_S - 2
    text = hour_text(hour * HOUR_S)
    trips = client.get(f"/jet/mds/trips?end_time={text}", headers=JET)
    events = client.get(f"/jet/mds/events/historical?event_time={text}", headers=JET)

    assert trips.status_code == events.status_code == 200
    assert provider_errors("/trips", trips.json()) == []
    assert provider_errors("/events/historical", events.json()) == []
    assert "links" not in trips.json() and "links" not in events.json()  # MDS: never paged
    assert len(trips.json()["trips"]) > 5
    assert all(
        hour * 3_600_000 <= t["end_time"] < (hour + 1) * 3_600_000 for t in trips.json()["trips"]
    )
    ended = {t["trip_id"] for t in trips.json()["trips"]}
    trip_ends = {
        e["trip_ids"][0] for e in events.json()["events"] if e["event_types"] == ["trip_end"]
    }
    assert ended == trip_ends

    url = f"/jet/mds/telemetry?telemetry_time={text}"
    first = client.get(url, headers=JET).json()
    assert provider_errors("/telemetry", first) == []
    points = walk(client, url, JET, "telemetry")
    expected = MdsData(simulation).telemetry_points(0, hour * HOUR_S, (hour + 1) * HOUR_S)
    assert len(points) == len(expected) > 40
    assert len({p["telemetry_id"] for p in points}) == len(points)


def test_recent_events_by_range_paged(client: TestClient, simulation: Simulation):
    end = round(simulation.timestamp * 1000)
    start = end - 2 * 3_600_000
    url = f"/jet/mds/events/recent?start_time={start}&end_time={end}"
    body = client.get(url, headers=JET).json()
    events = walk(client, url, JET, "events")

    assert provider_errors("/events/recent", body) == []
    assert len(events) > 40
    assert all(start <= e["timestamp"] < end for e in events)
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    assert len({e["event_id"] for e in events}) == len(events)
    two_weeks_ago = end - 15 * 86_400_000
    old = client.get(
        f"/jet/mds/events/recent?start_time={two_weeks_ago}&end_time={end}", headers=JET
    )
    assert old.status_code == 400
    assert model_errors("response/error", old.json()) == []
    assert client.get(f"/jet/mds/events/recent?start_time={start}", headers=JET).status_code == 400


def test_hours_follow_the_mds_rules(client: TestClient, simulation: Simulation):
    now = simulation.timestamp
    current, last = hour_text(now), hour_text(now - HOUR_S)
    before_start = hour_text(simulation.start.timestamp() - 2 * HOUR_S)

    not_over = client.get(f"/jet/mds/trips?end_time={current}", headers=JET)
    processing = client.get(f"/jet/mds/events/historical?event_time={last}", headers=JET)
    not_operating = client.get(f"/jet/mds/trips?end_time={before_start}", headers=JET)

    assert not_over.status_code == 404 and not_operating.status_code == 404
    assert processing.status_code == 202  # the hour ended 60 s ago: ready after 300 s
    assert 1 <= int(processing.headers["retry-after"])
    for answer in (not_over, processing, not_operating):
        assert model_errors("response/error", answer.json()) == []
    assert client.get("/jet/mds/trips", headers=JET).json()["error"] == "missing_param"
    assert client.get("/jet/mds/trips?end_time=2025-06-02", headers=JET).status_code == 400
    assert client.get("/jet/mds/trips?end_time=2025-13-02T01", headers=JET).status_code == 400


def test_versions_come_from_the_accept_header(client: TestClient):
    token = {"Authorization": "Bearer tartip-sim-jet-token"}
    assert client.get("/jet/mds/vehicles", headers=token).status_code == 406
    assert (
        client.get("/jet/mds/vehicles", headers={**token, "Accept": "application/json"}).status_code
        == 406
    )
    old = {**token, "Accept": "application/vnd.mds+json;version=0.4"}
    assert client.get("/jet/mds/vehicles", headers=old).status_code == 406
    patch = {**token, "Accept": "application/vnd.mds+json; version=2.0.1"}
    assert client.get("/jet/mds/vehicles", headers=patch).json()["version"] == "2.0.0"
    v12 = client.get("/jet/mds/vehicles", headers={**token, "Accept": V12})
    assert v12.headers["content-type"] == V12 and v12.json()["version"] == "1.2.0"
    as_12 = client.get("/jet/mds/vehicles/status", headers={**token, "Accept": V12})
    assert as_12.json()["data"] == v12.json()["data"]  # 1.2 has no vehicles/status: vehicles is
    assert client.get("/jet/mds/telemetry", headers={**token, "Accept": V12}).status_code == 404
    assert client.get("/jet/mds/status_changes?event_time=x", headers=JET).status_code == 404


def test_mds_1_2_for_older_clients(client: TestClient, simulation: Simulation):
    headers = {"Accept": V12, "Authorization": "Bearer tartip-sim-whoosh-token"}
    hour = hour_text(simulation.timestamp - 2 * HOUR_S)
    end = round(simulation.timestamp * 1000)

    trips = client.get(f"/whoosh/mds/trips?end_time={hour}", headers=headers).json()
    changes = client.get(f"/whoosh/mds/status_changes?event_time={hour}", headers=headers).json()
    recent = client.get(
        f"/whoosh/mds/events?start_time={end - 3_600_000}&end_time={end}", headers=headers
    ).json()
    vehicles = client.get("/whoosh/mds/vehicles", headers=headers).json()

    assert v12_errors("trips", trips) == [] and len(trips["data"]["trips"]) > 3
    assert v12_errors("status_changes", changes) == []
    assert v12_errors("events", recent) == []
    assert v12_errors("vehicles", vehicles) == []
    route = trips["data"]["trips"][0]["route"]["features"]
    assert (
        len(route) >= 2
        and route[0]["properties"]["timestamp"] == trips["data"]["trips"][0]["start_time"]
    )
    same = client.get(f"/whoosh/mds/events/historical?event_time={hour}", headers=headers).json()
    assert same == changes


def test_bearer_tokens_and_oauth_client_credentials(client: TestClient):
    v12 = {"Accept": V12}
    unauthorised = client.get("/yandex-go/mds/vehicles", headers=v12)
    assert unauthorised.status_code == 401
    assert unauthorised.headers["www-authenticate"].startswith("Bearer")
    assert model_errors("response/error", unauthorised.json()) == []
    jet_token = {**v12, "Authorization": "Bearer tartip-sim-jet-token"}
    assert client.get("/yandex-go/mds/vehicles", headers=jet_token).status_code == 401

    form = {"grant_type": "client_credentials"}
    granted = client.post(
        "/yandex-go/oauth/token", data=form, auth=("tartip", "tartip-sim-yandex-go-secret")
    )
    assert granted.status_code == 200 and granted.headers["cache-control"] == "no-store"
    token = granted.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    bearer = {**v12, "Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/yandex-go/mds/vehicles", headers=bearer).status_code == 200
    assert client.get("/jet/mds/vehicles", headers=bearer).status_code == 401
    header, payload, signature = token["access_token"].split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=="))
    assert claims["aud"] == "yandex-go" and claims["sub"] == "tartip"
    forged = base64.urlsafe_b64encode(orjson.dumps({**claims, "aud": "jet"})).rstrip(b"=").decode()
    forged_bearer = {**v12, "Authorization": f"Bearer {header}.{forged}.{signature}"}
    assert client.get("/jet/mds/vehicles", headers=forged_bearer).status_code == 401

    in_body = {**form, "client_id": "tartip", "client_secret": "tartip-sim-yandex-go-secret"}
    assert client.post("/yandex-go/oauth/token", data=in_body).status_code == 200
    wrong = client.post("/yandex-go/oauth/token", data=form, auth=("tartip", "nope"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    password = {"grant_type": "password", "username": "u", "password": "p"}
    assert (
        client.post("/yandex-go/oauth/token", data=password).json()["error"]
        == "unsupported_grant_type"
    )


def test_an_expired_token_is_refused(simulation: Simulation):
    config = SimulatorConfig.for_companies(SLUGS)
    app = create_simulator_app(simulation, BASE, speed=0.0, config=config)
    with TestClient(app, base_url=BASE) as client:
        server_auth = next(
            r for r in app.routes if getattr(r, "path", "") == "/{company}/oauth/token"
        )
        provider = server_auth.endpoint.__self__  # type: ignore[attr-defined]
        provider.auth.lifetime_s = -1
        granted = client.post(
            "/jet/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("tartip", "tartip-sim-jet-secret"),
        ).json()
        bearer = {"Accept": V20, "Authorization": f"Bearer {granted['access_token']}"}
        assert client.get("/jet/mds/vehicles", headers=bearer).status_code == 401


def test_monthly_report_as_csv(client: TestClient):
    csv_headers = {**JET, "Accept": "text/vnd.mds+csv;version=2.0"}
    by_file = client.get("/jet/mds/reports/2025-06.csv", headers=csv_headers)
    by_param = client.get("/jet/mds/reports?start_time=2025-06", headers=JET)

    assert by_file.status_code == by_param.status_code == 200
    assert by_file.headers["content-type"].startswith("text/vnd.mds+csv;version=2.0")
    assert by_file.text == by_param.text
    assert by_file.text.startswith(
        "provider_id,start_date,duration,special_group_type,geography_id"
    )
    assert client.get("/jet/mds/reports/2025-05.csv", headers=csv_headers).status_code == 404
    assert client.get("/jet/mds/reports?start_time=2025-6", headers=JET).status_code == 400


def test_faults_reach_mds_too(client: TestClient, simulation: Simulation):
    hour = hour_text(simulation.timestamp - 2 * HOUR_S)
    trips_url = f"/jet/mds/trips?end_time={hour}"

    client.post("/_control/jet", json={"mode": "down"})
    assert client.get("/jet/mds/vehicles", headers=JET).status_code == 503
    client.post("/_control/jet", json={"mode": "malformed_json"})
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(client.get(trips_url, headers=JET).content)
    client.post("/_control/jet", json={"mode": "bad_record", "record": "lat_999"})
    spoiled = client.get(trips_url, headers=JET).json()
    assert any("999" in e for e in provider_errors("/trips", spoiled))
    client.post("/_control/jet", json={"mode": "bad_record", "record": "missing_id"})
    assert any(
        "device_id" in e
        for e in provider_errors(
            "/events/historical",
            client.get(f"/jet/mds/events/historical?event_time={hour}", headers=JET).json(),
        )
    )
    # A fault limited to some GBFS files leaves MDS alone, one limited to an MDS endpoint the rest.
    client.post("/_control/jet", json={"mode": "down", "feeds": ["free_bike_status"]})
    assert client.get("/jet/mds/vehicles", headers=JET).status_code == 200
    client.post("/_control/jet", json={"mode": "down", "feeds": ["mds/trips"]})
    assert client.get(trips_url, headers=JET).status_code == 503
    assert client.get("/jet/mds/vehicles", headers=JET).status_code == 200
    client.post("/_control/jet", json={"mode": "ok"})
    assert provider_errors("/trips", client.get(trips_url, headers=JET).json()) == []


def test_the_control_endpoint_sets_credentials_and_never_shows_them(client: TestClient):
    changed = client.post(
        "/_control/config",
        json={"companies": {"jet": {"mds_tokens": ["a-new-jet-token"]}}, "collect_after_s": 60},
    )
    assert changed.status_code == 200
    assert "a-new-jet-token" not in changed.text and "tartip-sim" not in changed.text
    assert changed.json()["config"]["companies"]["jet"]["mds_tokens"] == 1
    assert client.get("/jet/mds/vehicles", headers=JET).status_code == 401
    renewed = {**JET, "Authorization": "Bearer a-new-jet-token"}
    assert client.get("/jet/mds/vehicles", headers=renewed).status_code == 200

    refused = client.post(
        "/_control/config",
        json={"tartip_url": "ftp://x", "companies": {"bolt": {}, "jet": {"push": "yes"}}, "x": 1},
    )
    assert refused.status_code == 422
    wheres = {p["where"] for p in refused.json()["problems"]}
    assert wheres == {"tartip_url", "companies.bolt", "companies.jet.push", "x"}


def test_the_index_lists_each_company_mds(client: TestClient, simulation: Simulation):
    mds = client.get("/").json()["mds"]

    assert set(mds) == set(SLUGS)
    assert mds["jet"]["provider"] == f"{BASE}/jet/mds/"
    assert mds["whoosh"]["provider_id"] == simulation.identities.provider_ids[2]
    assert np.unique([m["provider_id"] for m in mds.values()]).size == 3
