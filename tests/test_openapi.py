"""The OpenAPI document builds and describes the fleet routes with their schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from tartip.app import create_app
from tartip.settings import Settings

FLEET_ROUTES = {
    "/api/v1/vehicles": "VehicleFeatureCollection",
    "/api/v1/vehicles/clusters": "ClusterFeatureCollection",
    "/api/v1/vehicles/{vehicle_id}": "VehicleDetailFeature",
    "/api/v1/fleet/summary": "FleetSummary",
    "/api/v1/cities/current": "CityFeature",
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path: Path = tmp_path_factory.mktemp("openapi") / "tartip.db"
    settings = Settings(env="test", database_url=f"sqlite:///{path}", run_jobs_in_process=False)
    app: FastAPI = create_app(settings, run_jobs=False)
    document: dict[str, Any] = app.openapi()
    return document


def response_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    ok = document["paths"][path]["get"]["responses"]["200"]
    schema: dict[str, Any] = ok["content"]["application/json"]["schema"]
    return schema


def test_the_document_builds(document: dict[str, Any]):
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Tartip"


@pytest.mark.parametrize(("path", "schema"), FLEET_ROUTES.items())
def test_fleet_routes_are_listed_with_their_response_schema(
    document: dict[str, Any], path: str, schema: str
):
    assert response_schema(document, path) == {"$ref": f"#/components/schemas/{schema}"}
    assert schema in document["components"]["schemas"]
    assert document["paths"][path]["get"]["operationId"].startswith("fleet-")


def test_companies_are_a_list_of_company_reads(document: dict[str, Any]):
    schema = response_schema(document, "/api/v1/companies")
    assert schema["type"] == "array"
    assert schema["items"] == {"$ref": "#/components/schemas/CompanyRead"}


def test_vehicle_filters_are_typed_query_parameters(document: dict[str, Any]):
    params = {p["name"]: p for p in document["paths"]["/api/v1/vehicles"]["get"]["parameters"]}
    assert {"company", "status", "stale", "bbox", "in_feed_only", "page", "size"} <= set(params)
    assert all(p["in"] == "query" for p in params.values())
    status = params["status"]["schema"]["anyOf"][0]
    assert status["items"] == {"$ref": "#/components/schemas/VehicleStatus"}
    statuses = document["components"]["schemas"]["VehicleStatus"]["enum"]
    assert statuses == ["available", "reserved", "disabled"]


def test_a_vehicle_feature_is_a_geojson_point(document: dict[str, Any]):
    schemas = document["components"]["schemas"]
    feature = schemas["VehicleFeature"]["properties"]
    assert feature["type"]["const"] == "Feature"
    assert feature["geometry"] == {"$ref": "#/components/schemas/PointGeometry"}
    assert schemas["VehicleFeatureCollection"]["properties"]["type"]["const"] == "FeatureCollection"


def test_errors_are_described_by_the_error_body(document: dict[str, Any]):
    clusters = document["paths"]["/api/v1/vehicles/clusters"]["get"]
    zoom = next(p for p in clusters["parameters"] if p["name"] == "zoom")
    assert zoom["required"] is True
    for status in ("401", "404", "422"):
        schema = clusters["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}
