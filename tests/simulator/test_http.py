"""The simulator as other companies' servers: a real process, real HTTP on a loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.simulator.conftest import schema_errors

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A simulator process on a free loopback port: its announced URLs by name."""
    log = tmp_path_factory.mktemp("simulator") / "stderr.log"
    command = [sys.executable, "-m", "tartip.simulator", "--host", "127.0.0.1", "--port", "0"]
    command += ["--vehicles", "300", "--seed", "5", "--speed", "600"]
    command += ["--start", "2025-06-02T08:00", "--log-level", "warning"]
    with (
        log.open("w") as stderr,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True) as process,
    ):
        try:
            yield read_announcement(process, log)
        finally:
            process.terminate()
            process.wait(timeout=10)


def read_announcement(process: subprocess.Popen[str], log: Path) -> dict[str, str]:
    """The URLs the simulator prints on start (it prints the control line last)."""
    assert process.stdout is not None
    urls: dict[str, str] = {}
    deadline = time.monotonic() + 20
    while "control" not in urls and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"the simulator stopped: {log.read_text()}")
        parts = line.split()
        if parts and parts[-1].startswith("http://"):
            key = parts[0] if parts[0] in ("manifest", "control") else f"{parts[0]} {parts[2]}"
            urls[key] = parts[-1]
    return urls


def get_until_up(client: httpx.Client, url: str) -> httpx.Response:
    """The announcement comes just before uvicorn serves the bound socket: retry briefly."""
    for _ in range(50):
        try:
            return client.get(url)
        except httpx.ConnectError:
            time.sleep(0.1)
    return client.get(url)


def test_discovery_conditional_requests_and_faults_over_http(simulator: dict[str, str]):
    control = simulator["control"].removesuffix("<company>")
    with httpx.Client(timeout=5.0) as client:
        discovery = get_until_up(client, simulator["whoosh 3.0"])
        assert discovery.status_code == 200
        assert discovery.headers["content-type"] == "application/json"
        feeds = {f["name"]: f["url"] for f in discovery.json()["data"]["feeds"]}
        for name, url in feeds.items():
            answer = client.get(url)
            assert answer.status_code == 200
            assert schema_errors("3.0", name, answer.json()) == [], name

        status_url = feeds["vehicle_status"]
        first = client.get(status_url)
        again = client.get(status_url, headers={"If-None-Match": first.headers["etag"]})
        # At speed 600 a tick passes every 1/60 s, so the document may be new by now.
        assert again.status_code == 304 or again.headers["etag"] != first.headers["etag"]
        static_url = feeds["system_information"]
        etag = client.get(static_url).headers["etag"]
        assert client.get(static_url, headers={"If-None-Match": etag}).status_code == 304

        time.sleep(0.2)  # two simulated minutes at speed 600
        assert client.get(status_url).json()["last_updated"] != first.json()["last_updated"]

        client.post(control + "whoosh", json={"mode": "down"}).raise_for_status()
        assert client.get(status_url).status_code == 503
        client.post(control + "whoosh", json={"mode": "slow", "delay_s": 1}).raise_for_status()
        with pytest.raises(httpx.ReadTimeout):
            client.get(status_url, timeout=0.3)
        client.post(control + "whoosh", json={"mode": "html_error"}).raise_for_status()
        html = client.get(status_url)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        client.post(control + "whoosh", json={"mode": "malformed_json"}).raise_for_status()
        with pytest.raises(ValueError):
            client.get(status_url).json()
        client.post(control + "whoosh", json={"mode": "bad_record"}).raise_for_status()
        (error,) = schema_errors("3.0", "vehicle_status", client.get(status_url).json())
        assert "999" in error
        client.post(control + "whoosh", json={"mode": "ok"}).raise_for_status()
        assert schema_errors("3.0", "vehicle_status", client.get(status_url).json()) == []

        jet = get_until_up(client, simulator["jet 2.3"]).json()["data"]["ru"]["feeds"]
        assert {f["name"] for f in jet} >= {"free_bike_status", "geofencing_zones"}
        manifest = client.get(simulator["manifest"]).json()
        assert len(manifest["data"]["datasets"]) == 3
