"""Checking documents against the official GBFS JSON Schemas."""

from __future__ import annotations

import csv
import json

import msgspec
import pytest

from tartip.feeds import conformance
from tartip.feeds.gbfs import discovery, vehicles
from tests.feeds.conftest import FIXTURES, SAMPLES, sample_dir


def _sample_rows() -> list[dict[str, str]]:
    path = SAMPLES / "SOURCES.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as fh:
        return [
            row for row in csv.DictReader(fh) if row["official_schema_errors"] not in {"n/a", ""}
        ]


@pytest.mark.parametrize(
    "row", _sample_rows() or [None], ids=lambda r: f"{r['snapshot']}/{r['file']}" if r else "none"
)
def test_each_real_sample_has_the_published_number_of_schema_errors(row):
    if row is None:
        sample_dir("SOURCES.csv")
    body = (sample_dir(row["snapshot"]) / row["file"]).read_bytes()
    doc = json.loads(body)
    kind = discovery.detect_file(body, url=row["file"])
    result = conformance.check_document(doc, file=kind, declared=doc.get("version"))
    assert result.schema_version == row["validated_against"].lstrip("v")
    assert len(result.problems) == int(row["official_schema_errors"]), result.problems


def test_tier_gbfs_json_lacks_a_vehicle_or_station_feed():
    doc = json.loads((sample_dir("tier-oslo-v2.3") / "gbfs.json").read_bytes())
    result = conformance.check_document(doc, file="gbfs", declared="2.3")
    assert [(p.where, p.message) for p in result.problems] == [
        ("data.en.feeds", "lists none of 'station_status' or 'free_bike_status' (one is required)")
    ]


def test_check_almere_features_without_geometry_are_reported_by_path():
    doc = json.loads((sample_dir("check-almere-v3.0") / "geofencing_zones.json").read_bytes())
    result = conformance.check_document(doc, file="geofencing_zones", declared="3.0")
    assert [(p.where, p.message) for p in result.problems] == [
        ("data.geofencing_zones.features[6].geometry", "None is not of type 'object'"),
        ("data.geofencing_zones.features[7].geometry", "None is not of type 'object'"),
    ]


def test_the_sample_always_holds_the_first_and_the_last_record():
    indices = conformance.sample_indices(30_000, 200)
    assert len(indices) == 200
    assert indices[0] == 0 and indices[-1] == 29_999
    assert indices == sorted(set(indices))
    assert conformance.sample_indices(5, 200) == [0, 1, 2, 3, 4]


def test_a_sampled_check_reports_paths_of_the_whole_document():
    doc = json.loads((FIXTURES / "almaty-v2.3" / "free_bike_status.json").read_bytes())
    good = doc["data"]["bikes"][0]
    bikes = [dict(good, bike_id=f"b{i}") for i in range(1000)]
    bikes[999]["lat"] = 123.0  # the last record is always in the sample
    doc["data"]["bikes"] = bikes
    envelope = vehicles.read_envelope(msgspec.json.encode(doc))
    result = conformance.check_vehicle_sample(
        envelope.header, "bikes", envelope.raws, file="free_bike_status", declared="2.3", sample=10
    )
    assert [(p.where, p.message) for p in result.problems] == [
        ("data.bikes[999].lat", "123.0 is greater than the maximum of 90")
    ]
    assert result.sampled is not None
    assert result.sampled.where == "data.bikes"
    assert "10 of 1000 records" in result.sampled.message
    assert "indices 0, 111, … 999" in result.sampled.message


def test_a_lying_version_is_checked_against_what_it_declares():
    envelope = vehicles.read_envelope((FIXTURES / "quirks" / "lying_version.json").read_bytes())
    result = conformance.check_vehicle_sample(
        envelope.header,
        envelope.records_key,
        envelope.raws,
        file=envelope.file,
        declared=envelope.version,
        sample=200,
    )
    assert result.schema_version == "2.2"
    assert [(p.where, p.message) for p in result.problems] == [
        ("last_updated", "'2025-06-01T10:00:00+05:00' is not of type 'integer'"),
        ("data", "'bikes' is a required property"),
    ]


def test_an_unknown_version_is_not_checked_and_says_why():
    result = conformance.check_document({"data": {}}, file="vehicle_status", declared="9.1")
    assert result.skipped == "no official schema for version '9.1'; not checked"


def test_validators_are_compiled_once():
    assert conformance.validator("2.3", "free_bike_status") is conformance.validator(
        "2.3", "free_bike_status"
    )
    assert conformance.validator("2.0", "geofencing_zones") is None
