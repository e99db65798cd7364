"""The live fleet picture end to end: simulator → HTTP → worker → database → API, on both stores."""

from __future__ import annotations

import httpx
import pytest

from tartip.fleet.schemas import VehicleFeatureCollection
from tests.integration.conftest import Process, admin_token, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("integration")]


def _vehicles(api: httpx.Client, company: str, **params: str) -> VehicleFeatureCollection:
    answer = api.get("/api/v1/vehicles", params={"company": company, "size": "1000", **params})
    assert answer.status_code == 200, answer.text
    return VehicleFeatureCollection.model_validate(answer.json())


def _feed(api: httpx.Client, feed_id: int) -> dict[str, object]:
    answer = api.get(f"/api/v1/feeds/{feed_id}")
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _simulated_ids(simulator: Process, company: str) -> set[str]:
    doc = httpx.get(f"{simulator.base_url}/{company}/gbfs/2.3/free_bike_status.json").json()
    return {bike["bike_id"] for bike in doc["data"]["bikes"]}


def test_fleets_are_ingested_and_survive_a_feed_outage(
    simulator: Process, server: Process, fresh_db_url: str
):
    token = admin_token(fresh_db_url)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as api:
        _ingest_then_outage_then_recovery(api, simulator, server)


def _ingest_then_outage_then_recovery(api: httpx.Client, simulator: Process, server: Process):
    companies = {c["slug"]: c["id"] for c in api.get("/api/v1/companies").json()}
    assert set(companies) == {"jet", "yandex-go", "whoosh"}
    feed_ids = {}
    for slug, version in (("jet", "2.3"), ("yandex-go", "3.0"), ("whoosh", "2.3")):
        url = f"{simulator.base_url}/{slug}/gbfs/{version}/gbfs.json"
        created = api.post("/api/v1/feeds", json={"company_id": companies[slug], "url": url})
        assert created.status_code == 201, created.text
        feed_ids[slug] = created.json()["id"]

    for slug in feed_ids:
        wait_for(
            lambda slug=slug: _vehicles(api, slug).total > 0,
            timeout=30,
            what=f"{slug}'s vehicles on the map API (server log: {server.log})",
        )
    # The simulator's clock runs on: compare with what it serves now, allowing a few trips.
    jet_ids = {f.properties.vehicle_id for f in _vehicles(api, "jet").features}
    overlap = len(jet_ids & _simulated_ids(simulator, "jet")) / len(jet_ids)
    assert overlap > 0.9
    assert _feed(api, feed_ids["jet"])["health"] == "up"

    # The feed goes down: health turns down, and Jet's vehicles stay, marked stale.
    before = _vehicles(api, "jet").total
    httpx.post(f"{simulator.base_url}/_control/jet", json={"mode": "down"}).raise_for_status()
    wait_for(lambda: _feed(api, feed_ids["jet"])["health"] == "down", timeout=30, what="jet down")
    during = _vehicles(api, "jet")
    assert during.total == before
    assert all(f.properties.stale for f in during.features)
    assert not any(f.properties.stale for f in _vehicles(api, "whoosh").features)

    # It comes back: health up, vehicles fresh again.
    httpx.post(f"{simulator.base_url}/_control/jet", json={"mode": "ok"}).raise_for_status()
    wait_for(lambda: _feed(api, feed_ids["jet"])["health"] == "up", timeout=30, what="jet back up")
    wait_for(
        lambda: not any(f.properties.stale for f in _vehicles(api, "jet").features),
        timeout=30,
        what="jet's vehicles fresh again",
    )
