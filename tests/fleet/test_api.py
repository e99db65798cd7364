"""The fleet API through the real app on both databases: GeoJSON bodies, filters, errors, scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.schemas import ErrorBody
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.models import Vehicle
from tartip.fleet.schemas import (
    CityFeature,
    ClusterFeatureCollection,
    CompanyRead,
    FleetSummary,
    VehicleDetailFeature,
    VehicleFeatureCollection,
)
from tests import builders

LON, LAT = 76.9286, 43.2567


def bearer(db: Session, city: City, role: Role, company: str | None = None) -> dict[str, str]:
    user = builders.make_user(
        db, city, username=f"{role.value}-{company or 'op'}", role=role, company_slug=company
    )
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}


@pytest.fixture
def vehicles(db: Session, city: City) -> dict[str, list[Vehicle]]:
    """Three Jet vehicles (one disabled), two Whoosh (one stale), one Yandex Go."""
    made: dict[str, list[Vehicle]] = {}
    layout = {
        "jet": [(0.0, 0.0, False), (0.01, 0.0, False), (0.02, 0.0, False)],
        "whoosh": [(0.0, 0.01, False), (0.0, 0.02, True)],
        "yandex-go": [(-0.01, -0.01, False)],
    }
    for slug, spots in layout.items():
        feed = builders.make_feed(db, builders.company(db, city, slug))
        made[slug] = [
            builders.make_vehicle(db, feed, lon=LON + dx, lat=LAT + dy, is_stale=stale)
            for dx, dy, stale in spots
        ]
    made["jet"][2].status = VehicleStatus.disabled
    db.flush()
    return made


def get_json(client: TestClient, url: str, headers: dict[str, str], status: int = 200):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_vehicles_are_a_geojson_feature_collection(app_client, db, city, vehicles):
    auth = bearer(db, city, Role.supervisor)
    body = get_json(app_client, "/api/v1/vehicles", auth)
    page = VehicleFeatureCollection.model_validate(body)
    assert page.type == "FeatureCollection" and page.total == 6 and len(page.features) == 6
    jet = vehicles["jet"][0]
    feature = next(f for f in page.features if f.id == jet.id)
    assert feature.geometry.coordinates == (jet.lon, jet.lat)
    assert feature.properties.company == "jet" and feature.properties.vehicle_id == jet.vehicle_id
    assert [link.rel for link in page.links] == ["self"]


def test_vehicles_page_with_links(app_client, db, city, vehicles):
    auth = bearer(db, city, Role.supervisor)
    first = VehicleFeatureCollection.model_validate(
        get_json(app_client, "/api/v1/vehicles?size=4", auth)
    )
    assert (first.total, len(first.features), first.page, first.size) == (6, 4, 1, 4)
    next_link = next(link.href for link in first.links if link.rel == "next")
    second = VehicleFeatureCollection.model_validate(get_json(app_client, next_link, auth))
    assert second.page == 2 and len(second.features) == 2
    assert {f.id for f in first.features}.isdisjoint({f.id for f in second.features})
    assert "prev" in [link.rel for link in second.links]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("company=jet&company=yandex-go", 4),
        ("status=disabled", 1),
        ("status=available&status=reserved", 5),
        ("stale=true", 1),
        ("stale=false", 5),
        (f"bbox={LON - 0.001},{LAT - 0.001},{LON + 0.015},{LAT + 0.015}", 3),
        ("company=whoosh&stale=false", 1),
    ],
)
def test_vehicle_filters(app_client, db, city, vehicles, query: str, expected: int):
    body = get_json(app_client, f"/api/v1/vehicles?{query}", bearer(db, city, Role.supervisor))
    assert VehicleFeatureCollection.model_validate(body).total == expected


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/api/v1/vehicles?bbox=1,2,3", "query.bbox"),
        ("/api/v1/vehicles?bbox=77,43,76,44", "query.bbox"),
        ("/api/v1/vehicles?status=lost", "query.status"),
        ("/api/v1/vehicles?stale=maybe", "query.stale"),
        ("/api/v1/vehicles?size=0", "query.size"),
        ("/api/v1/vehicles/clusters?bbox=76,43,77,44", "query.zoom"),
        ("/api/v1/vehicles/clusters?bbox=76,43,77&zoom=12", "query.bbox"),
        ("/api/v1/vehicles/clusters?zoom=99", "query.zoom"),
        ("/api/v1/vehicles/not-a-number", "path.vehicle_id"),
    ],
)
def test_bad_input_is_a_422_with_our_error_body(app_client, db, city, url: str, where: str):
    body = get_json(app_client, url, bearer(db, city, Role.supervisor), status=422)
    error = ErrorBody.model_validate(body)
    assert error.code == "invalid_input"
    assert any(p.where.startswith(where) for p in error.problems), error.problems


def test_one_vehicle_with_its_history(app_client, db, city, vehicles):
    vehicle = vehicles["jet"][2]
    builders.make_vehicle_change(
        db, vehicle, kind=ChangeKind.appeared, at=utcnow() - timedelta(minutes=30)
    )
    builders.make_vehicle_change(
        db,
        vehicle,
        kind=ChangeKind.status_changed,
        at=utcnow() - timedelta(minutes=5),
        status=VehicleStatus.disabled,
        previous_status=VehicleStatus.available,
    )
    body = get_json(app_client, f"/api/v1/vehicles/{vehicle.id}", bearer(db, city, Role.scout))
    feature = VehicleDetailFeature.model_validate(body)
    assert feature.id == vehicle.id and feature.properties.status == VehicleStatus.disabled
    assert [c.kind for c in feature.properties.history] == [
        ChangeKind.status_changed,
        ChangeKind.appeared,
    ]
    assert feature.properties.history[0].previous_status == VehicleStatus.available


def test_unknown_vehicle_is_404(app_client, db, city, vehicles):
    body = get_json(
        app_client, "/api/v1/vehicles/987654321", bearer(db, city, Role.supervisor), 404
    )
    assert ErrorBody.model_validate(body).code == "not_found"


def test_a_rivals_vehicle_is_404_for_a_company_representative(app_client, db, city, vehicles):
    auth = bearer(db, city, Role.company_rep, "whoosh")
    rival = vehicles["jet"][0]
    get_json(app_client, f"/api/v1/vehicles/{rival.id}", auth, status=404)
    own = vehicles["whoosh"][0]
    assert get_json(app_client, f"/api/v1/vehicles/{own.id}", auth)["id"] == own.id
    page = VehicleFeatureCollection.model_validate(
        get_json(app_client, "/api/v1/vehicles?company=jet", auth)
    )
    assert page.total == 0
    everything = VehicleFeatureCollection.model_validate(
        get_json(app_client, "/api/v1/vehicles", auth)
    )
    assert {f.properties.company for f in everything.features} == {"whoosh"}


@pytest.mark.parametrize("zoom", [3, 12, 15, 19])
def test_cluster_counts_equal_the_raw_count(app_client, db, city, vehicles, zoom: int):
    auth = bearer(db, city, Role.supervisor)
    box = "76.5,43.0,77.5,43.5"
    raw = VehicleFeatureCollection.model_validate(
        get_json(app_client, f"/api/v1/vehicles?bbox={box}", auth)
    ).total
    body = get_json(app_client, f"/api/v1/vehicles/clusters?bbox={box}&zoom={zoom}", auth)
    clusters = ClusterFeatureCollection.model_validate(body)
    assert clusters.total == raw == 6
    assert sum(f.properties.count for f in clusters.features) == raw
    companies: dict[str, int] = {}
    for feature in clusters.features:
        for slug, n in feature.properties.companies.items():
            companies[slug] = companies.get(slug, 0) + n
    assert companies == {"jet": 3, "whoosh": 2, "yandex-go": 1}


def test_clusters_take_the_same_filters(app_client, db, city, vehicles):
    auth = bearer(db, city, Role.supervisor)
    body = get_json(
        app_client, "/api/v1/vehicles/clusters?zoom=10&company=whoosh&stale=false", auth
    )
    clusters = ClusterFeatureCollection.model_validate(body)
    assert clusters.total == 1 and clusters.bbox is None


def test_fleet_summary(app_client, db, city, vehicles):
    body = get_json(app_client, "/api/v1/fleet/summary", bearer(db, city, Role.supervisor))
    summary = FleetSummary.model_validate(body)
    assert (summary.total, summary.stale) == (6, 1)
    jet = next(c for c in summary.companies if c.company.slug == "jet")
    assert jet.by_status == {
        VehicleStatus.available: 2,
        VehicleStatus.reserved: 0,
        VehicleStatus.disabled: 1,
    }
    assert (jet.total, jet.fresh, jet.stale) == (3, 3, 0)


def test_companies_of_the_city(app_client, db, city):
    everyone = get_json(app_client, "/api/v1/companies", bearer(db, city, Role.supervisor))
    companies = [CompanyRead.model_validate(c) for c in everyone]
    assert {c.slug for c in companies} == {"jet", "whoosh", "yandex-go"}
    assert all(c.colour.startswith("#") for c in companies)
    own = get_json(app_client, "/api/v1/companies", bearer(db, city, Role.company_rep, "jet"))
    assert [c["slug"] for c in own] == ["jet"]


def test_current_city_has_its_boundary(app_client, db, city):
    feature = CityFeature.model_validate(
        get_json(app_client, "/api/v1/cities/current", bearer(db, city, Role.city_viewer))
    )
    assert feature.properties.slug == "almaty" and feature.properties.timezone == "Asia/Almaty"
    assert feature.geometry is not None and feature.geometry.type == "MultiPolygon"
    lon, lat = feature.properties.center
    assert 76 < lon < 78 and 43 < lat < 44


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/vehicles",
        "/api/v1/vehicles/1",
        "/api/v1/vehicles/clusters?zoom=10",
        "/api/v1/fleet/summary",
        "/api/v1/companies",
        "/api/v1/cities/current",
    ],
)
def test_fleet_routes_need_a_caller(app_client, url: str):
    response = app_client.get(url)
    assert response.status_code == 401
    assert ErrorBody.model_validate(response.json()).code == "unauthenticated"


def test_the_session_works_as_well_as_a_token(app_client, db, city, vehicles):
    builders.make_user(db, city, username="sup-session", role=Role.supervisor)
    builders.login(app_client, "sup-session")
    body = get_json(app_client, "/api/v1/vehicles?company=jet", {})
    assert VehicleFeatureCollection.model_validate(body).total == 3
