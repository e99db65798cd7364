"""The GBFS adapter over a fake server: discovery, due files, unchanged data, the real samples."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tartip.core.clock import utcnow
from tartip.feeds.adapters import ADAPTERS
from tartip.feeds.adapters.base import FeedSource, PullReport
from tartip.feeds.adapters.gbfs import GbfsAdapter
from tartip.feeds.enums import FeedProtocol, PullOutcome
from tartip.settings import Settings
from tests.feeds.conftest import FakeServer, sample_dir


def _pull(
    server: FakeServer,
    settings: Settings,
    source: FeedSource,
    *,
    now: datetime | None = None,
    full_check: bool = False,
) -> PullReport:
    adapter = GbfsAdapter(client=server.client(settings), settings=settings, full_check=full_check)
    return adapter.pull(source, now=now or utcnow())


def _outcomes(report: PullReport) -> list[tuple[str, str]]:
    return [(f.file, f.outcome.value) for f in report.files]


def test_the_registry_maps_the_protocol_to_its_adapter():
    assert ADAPTERS[FeedProtocol.gbfs] is GbfsAdapter


def test_a_full_2_3_feed_is_discovered_and_read(server, plain_settings):
    source = FeedSource(url=server.url("almaty-v2.3/gbfs.json"), default_locale="ru")
    report = _pull(server, plain_settings, source)
    assert _outcomes(report) == [
        ("gbfs", "ok"),
        ("system_information", "ok"),
        ("vehicle_types", "ok"),
        ("station_information", "ok"),
        ("free_bike_status", "ok"),
        ("station_status", "ok"),
        ("geofencing_zones", "ok"),
    ]
    assert report.main_file == "free_bike_status"
    assert report.source.version == "2.3"
    assert report.source.file_state["gbfs"]["language"] == "ru"
    assert report.vehicles is not None and len(report.vehicles.observations) == 4
    vehicles_pull = report.main
    assert vehicles_pull is not None
    assert (vehicles_pull.records, vehicles_pull.records_rejected) == (9, 5)
    assert vehicles_pull.schema_problems == 5
    assert report.system is not None and report.system["timezone"] == "Asia/Almaty"
    assert [t.vehicle_type_id for t in report.vehicle_types or []] == [
        "scooter-standard",
        "scooter-pro",
    ]
    assert report.geofences is not None and len(report.geofences.zones) == 2


def test_static_files_wait_for_their_ttl_and_unchanged_files_answer_304(server, plain_settings):
    now = utcnow()
    source = FeedSource(url=server.url("almaty-v2.3/gbfs.json"), default_locale="ru")
    first = _pull(server, plain_settings, source, now=now)
    second = _pull(server, plain_settings, first.source, now=now + timedelta(seconds=15))
    assert _outcomes(second) == [
        ("free_bike_status", "not_modified"),
        ("station_status", "not_modified"),
    ]
    assert second.vehicles is None
    later = _pull(server, plain_settings, second.source, now=now + timedelta(hours=2))
    assert {f for f, _ in _outcomes(later)} >= {"gbfs", "system_information", "geofencing_zones"}


def test_the_same_last_updated_is_not_read_again(server, plain_settings):
    path = "almaty-v2.3/free_bike_status.json"
    source = FeedSource(url=server.url(path))
    first = _pull(server, plain_settings, source)
    doc = server.doc(path)
    doc["data"]["bikes"][0]["lat"] = 43.3  # new body (new ETag), same last_updated
    server.put(path, doc)
    second = _pull(server, plain_settings, first.source)
    assert _outcomes(second) == [("free_bike_status", "not_modified")]
    assert second.main is not None and second.main.http_status == 200
    assert second.vehicles is None
    doc["last_updated"] += 10
    server.put(path, doc)
    third = _pull(server, plain_settings, second.source)
    assert third.vehicles is not None and third.vehicles.observations[0].lat == 43.3


def test_a_single_vehicle_file_can_be_the_whole_feed(server, plain_settings):
    source = FeedSource(url=server.url("almaty-v3.0/vehicle_status.json"))
    report = _pull(server, plain_settings, source)
    assert _outcomes(report) == [("vehicle_status", "ok")]
    assert server.hits("almaty-v3.0/vehicle_status.json") == 1  # the first body is reused
    assert report.source.feed_urls == {"vehicle_status": source.url}
    assert report.source.version == "3.0"
    assert report.vehicles is not None
    assert [o.vehicle_id for o in report.vehicles.observations] == ["yg-1", "2002"]


def test_the_feed_language_chooses_the_2x_list(server, plain_settings):
    source = FeedSource(url=server.url("almaty-v1.1/gbfs.json"), language="kk", default_locale="ru")
    report = _pull(server, plain_settings, source)
    assert report.source.feed_urls["free_bike_status"].endswith("/kk/free_bike_status.json")
    assert report.system is not None and report.system["name"] == "Алматы самокаттары"
    assert report.vehicles is not None
    assert [o.vehicle_id for o in report.vehicles.observations] == ["1001", "1002", "1003"]


def test_an_html_error_page_with_status_200_is_an_error(server, plain_settings):
    path = "almaty-v2.3/free_bike_status.json"
    page = (server.root / "quirks" / "error_page.html").read_bytes()
    server.route(path, httpx.Response(200, content=page, headers={"content-type": "text/html"}))
    report = _pull(server, plain_settings, FeedSource(url=server.url(path)))
    assert report.main is not None
    assert report.main.outcome is PullOutcome.error
    assert report.main.error == "answered with an HTML page (text/html), not JSON"
    assert report.vehicles is None


def test_a_document_whose_every_record_is_bad_is_an_error(server, plain_settings):
    path = "almaty-v2.3/free_bike_status.json"
    server.put(
        path, {"last_updated": 1, "ttl": 0, "version": "2.3", "data": {"bikes": [{"lat": 0}]}}
    )
    report = _pull(server, plain_settings, FeedSource(url=server.url(path)))
    assert report.main is not None
    assert report.main.error == "every one of its 1 vehicle records was rejected"
    assert report.vehicles is None


def test_check_mode_checks_every_record(server, plain_settings):
    settings = plain_settings.model_copy(update={"schema_sample_records": 2})
    path = "almaty-v2.3/free_bike_status.json"
    sampled = _pull(server, settings, FeedSource(url=server.url(path)))
    full = _pull(server, settings, FeedSource(url=server.url(path)), full_check=True)
    assert sampled.main is not None and full.main is not None
    assert sampled.main.sampled is not None and full.main.sampled is None
    assert full.main.schema_problems == 5 > sampled.main.schema_problems


# --- the shared real-world samples ----------------------------------------------------------


def _sample(name: str, settings: Settings, file: str = "gbfs.json") -> PullReport:
    server = FakeServer(sample_dir(name), base=f"https://{name}.test", by_name=True)
    return _pull(server, settings, FeedSource(url=server.url(file), default_locale="ru"))


def test_bird_seattle_2_3_is_ingested_cleanly(plain_settings):
    report = _sample("bird-seattle-v2.3", plain_settings)
    assert all(f.outcome is PullOutcome.ok for f in report.files)
    assert sum(f.schema_problems + f.records_rejected for f in report.files) == 0
    assert report.vehicles is not None and len(report.vehicles.observations) == 1931
    assert report.geofences is not None and len(report.geofences.zones) == 531
    # Rules without vehicle_type_id apply to every type: no vehicle_type_ids key at all.
    assert "vehicle_type_ids" not in report.geofences.zones[0].rules[0]
    assert report.stations == []


def test_bolt_essen_3_0_vehicle_type_id_quirk_is_noted_and_read(plain_settings):
    report = _sample("bolt-essen-v3.0", plain_settings)
    assert report.vehicles is not None and len(report.vehicles.observations) == 1360
    zones = next(f for f in report.files if f.file == "geofencing_zones")
    assert zones.schema_problems == 0
    assert len(zones.notes) == 522
    assert zones.notes[0].message == "2.x key vehicle_type_id read as vehicle_type_ids"
    assert report.geofences is not None and report.geofences.global_rules is not None
    assert len(report.geofences.zones[0].rules[0]["vehicle_type_ids"]) == 23
    assert report.stations is not None and len(report.stations) == 80
    assert report.vehicle_types is not None and len(report.vehicle_types) == 23


def test_zeus_schweinfurt_2_2_is_a_clean_happy_path(plain_settings):
    report = _sample("zeus-schweinfurt-v2.2", plain_settings)
    assert report.vehicles is not None and len(report.vehicles.observations) == 354
    assert sum(f.schema_problems + f.records_rejected for f in report.files) == 0
    assert report.geofences is not None and len(report.geofences.zones) == 1


def test_tier_oslo_file_urls_are_skipped_and_the_schema_problem_reported(plain_settings):
    report = _sample("tier-oslo-v2.3", plain_settings)
    (gbfs,) = report.files
    assert gbfs.outcome is PullOutcome.ok
    assert gbfs.schema_problems == 1
    assert [p.where for p in gbfs.notes] == ["data.en.feeds[0].url", "data.en.feeds[1].url"]
    assert report.vehicles is None


def test_check_almere_vehicles_and_zones_without_geometry(plain_settings):
    vehicles = _sample("check-almere-v3.0", plain_settings, "vehicle_status.json")
    assert vehicles.vehicles is not None and len(vehicles.vehicles.observations) == 6
    zones = _sample("check-almere-v3.0", plain_settings, "geofencing_zones.json")
    (pull,) = zones.files
    assert pull.file == "geofencing_zones"
    assert [p.where for p in pull.rejected] == [
        "data.geofencing_zones.features[6].geometry",
        "data.geofencing_zones.features[7].geometry",
    ]
    assert pull.schema_problems == 2
    assert zones.geofences is not None and len(zones.geofences.zones) == 14


def test_voi_docs_discovery_lists_itself_and_its_files_are_missing(plain_settings):
    report = _sample("voi-docs-v2.2", plain_settings)
    gbfs = report.files[0]
    assert (gbfs.file, gbfs.outcome, gbfs.schema_problems) == ("gbfs", PullOutcome.ok, 0)
    assert report.source.version == "2.2"
    assert report.main is not None and report.main.file == "free_bike_status"
    assert report.main.error == "answered HTTP 404 Not Found"
