"""No route shows company B's rows to company A's representative.

The test walks every GET route the app has under /api/v1, so a route added later is checked too:
path parameters get B's ids, query parameters ask for B by name, and every answer, to a session
and to a token alike, is searched for anything of B's. A route that cannot be called with what the
test knows fails it, so a new route cannot slip past unchecked: teach it in ``QUERIES`` below.

Both companies also have a complaint routed to them and a damage handover, with photos, a thread,
a webhook delivery and an act (``tests/complaints/cases.py``), so the complaints and damage
routes are walked over real rows of B's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.app import API_PREFIX
from tartip.auth.enums import Role
from tartip.cities.models import City, Company
from tartip.core.clock import utcnow
from tartip.feeds.enums import FeedHealth, PullOutcome
from tartip.feeds.models import Feed, FeedPull
from tartip.fleet.enums import ChangeKind, VehicleStatus
from tartip.fleet.models import Station, VehicleType
from tartip.settings import Settings
from tests import builders
from tests.complaints.cases import seed_cases

MARK = "RIVAL-B"
# Query strings each route is tried with: none, then everything a filter might use to ask for B.
QUERIES: list[dict[str, Any]] = [
    {},
    {"zoom": 10, "bbox": "-180,-90,180,90", "size": 1000, "in_feed_only": "false"},
    {"zoom": 10, "company": "{slug}", "size": 1000, "in_feed_only": "false"},
    {"company_id": "{company_id}", "feed_id": "{feed_id}", "company_slug": "{slug}", "zoom": 3},
]
# Path parameters whose kind is known: looking B's row up by them must be a 404.
KNOWN_KINDS = {
    "vehicle_id": "vehicle",
    "feed_id": "feed",
    "company_id": "company",
    "station_id": "station",
    "company": "slug",
    "slug": "slug",
    "company_slug": "slug",
    "reference": "complaint",
    "handover_id": "handover",
    "batch_id": "batch",
    "delivery_id": "delivery",
}
# Path parameters that name one of a few fixed things, not a row: tried with each.
FIXED_VALUES = {"fmt": ("csv", "xlsx", "pdf")}
# A place no vehicle of either company stands at: complaints there concern whom staff name.
CASE_PLACE = (76.95, 43.235)


@dataclass
class Rival:
    """Company B's rows and the strings that would give them away."""

    company: Company
    feed: Feed
    ids: dict[str, list[Any]]

    @property
    def markers(self) -> set[str]:
        return {self.company.name, self.feed.url, *self.ids["vehicle_id_text"], *self.ids["text"]}


def seed_company(
    db: Session, city: City, slug: str, tag: str, root: Path
) -> tuple[Company, Feed, dict[str, list[Any]]]:
    company = builders.company(db, city, slug)
    feed = builders.make_feed(db, company, url=f"https://gbfs.example/{tag}/gbfs.json")
    feed.health, feed.last_error = FeedHealth.down, f"{tag} timed out"
    feed.last_success_at, feed.vehicle_count = utcnow(), 2
    vehicles = [
        builders.make_vehicle(db, feed, vehicle_id=f"{tag}-v{i}", lon=76.93 + i / 100, lat=43.25)
        for i in range(2)
    ]
    builders.make_vehicle(db, feed, vehicle_id=f"{tag}-gone", lon=76.9, lat=43.2, in_feed=False)
    builders.make_vehicle_change(
        db, vehicles[0], kind=ChangeKind.status_changed, at=utcnow(), status=VehicleStatus.disabled
    )
    station = Station(
        city_id=city.id,
        company_id=company.id,
        feed_id=feed.id,
        station_id=f"{tag}-s1",
        name=f"{tag} station",
        lon=76.95,
        lat=43.24,
    )
    vehicle_type = VehicleType(
        city_id=city.id,
        company_id=company.id,
        feed_id=feed.id,
        vehicle_type_id=f"{tag}-type",
        form_factor="scooter",
        propulsion_type="electric",
        name=f"{tag} scooter",
    )
    pull = FeedPull(
        city_id=city.id,
        feed_id=feed.id,
        file="vehicle_status",
        url=f"https://gbfs.example/{tag}/vehicle_status.json",
        started_at=utcnow(),
        outcome=PullOutcome.error,
        error=f"{tag} said 500",
    )
    db.add_all([station, vehicle_type, pull])
    db.flush()
    ids: dict[str, list[Any]] = {
        "vehicle": [v.id for v in vehicles],
        "vehicle_id_text": [v.vehicle_id for v in vehicles] + [f"{tag}-gone"],
        "feed": [feed.id],
        "company": [company.id],
        "station": [station.id],
        "slug": [company.slug],
        "other": [pull.id, vehicle_type.id],
    }
    cases = seed_cases(
        db, city, company, tag=tag, lon=CASE_PLACE[0], lat=CASE_PLACE[1], root=root,
        vehicle_code=vehicles[0].vehicle_id,
    )  # fmt: skip
    ids.update(cases.ids)
    ids["text"] = cases.texts
    return company, feed, ids


@pytest.fixture
def rival(db: Session, city: City, settings: Settings) -> Rival:
    seed_company(db, city, "jet", "own-a", settings.media_root)
    company, feed, ids = seed_company(db, city, "whoosh", MARK, settings.media_root)
    return Rival(company=company, feed=feed, ids=ids)


@dataclass(frozen=True)
class ApiGet:
    """A GET route of the API: its full path and the names of its path parameters."""

    path: str
    params: tuple[str, ...]


def get_routes(client: TestClient) -> list[ApiGet]:
    """Every GET route under the API prefix, however the routers were included."""
    try:  # FastAPI 0.16x includes routers lazily; this walks them with their prefixes
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = list(iter_route_contexts(client.app.routes))  # type: ignore[attr-defined]
    except ImportError:
        routes = list(client.app.routes)  # type: ignore[attr-defined]
    found = [
        ApiGet(r.path, tuple(p.name for p in r.dependant.path_params))
        for r in routes
        if isinstance(getattr(r, "original_route", r), APIRoute)
        and "GET" in (r.methods or ())
        and r.path.startswith(API_PREFIX)
    ]
    assert any(r.path == f"{API_PREFIX}/vehicles" for r in found), found
    return found


def kind_of(name: str, path: str) -> str | None:
    """The kind of row a path parameter names, when the test knows it."""
    if name == "id" and "/vehicles/" in path:
        return "vehicle"
    if name == "photo_id":  # a complaint's photo, or a damaged vehicle's (not a scout's)
        if "/complaints/" in path:
            return "complaint_photo"
        return "damage_photo" if "/damage/" in path else None
    return KNOWN_KINDS.get(name)


def path_values(route: ApiGet, rival: Rival) -> Iterator[tuple[str, set[str], bool]]:
    """URLs of ``route`` with B's ids in its path, the strings put there, and whether B owns it."""
    choices = []
    for name in route.params:
        kind = kind_of(name, route.path)
        if name in FIXED_VALUES:
            choices.append([(name, v, False) for v in FIXED_VALUES[name]])
        elif kind is not None:
            choices.append([(name, v, True) for v in rival.ids[kind]])
        else:  # unknown: try every id of B's, of every kind (each value once)
            values = dict.fromkeys(v for k, vs in rival.ids.items() if k != "text" for v in vs)
            choices.append([(name, v, False) for v in values])
    for combo in itertools.product(*choices):
        path = route.path
        for name, value, _known in combo:
            path = path.replace("{" + name + "}", str(value))
        yield path, {str(v) for _n, v, _k in combo}, bool(combo) and all(k for *_x, k in combo)


def leaks(node: Any, rival: Rival, markers: set[str]) -> list[str]:
    """Where B shows in a JSON answer."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == rival.company.slug:
                found.append(f"key {key!r}")
            if key == "company_id" and value == rival.company.id:
                found.append("company_id")
            if key in ("company", "slug", "company_slug") and value == rival.company.slug:
                found.append(f"{key}={value!r}")
            found += leaks(value, rival, markers)
    elif isinstance(node, list):
        for item in node:
            found += leaks(item, rival, markers)
    elif isinstance(node, str):
        found += [f"text {m!r}" for m in markers if m in node]
    return found


def query_string(query: dict[str, Any], rival: Rival) -> str:
    fill = {"slug": rival.company.slug, "company_id": rival.company.id, "feed_id": rival.feed.id}
    return urlencode({k: str(v).format(**fill) for k, v in query.items()})


def callers(
    app_client: TestClient, db: Session, city: City
) -> dict[str, tuple[TestClient, dict[str, Any]]]:
    user = builders.make_user(db, city, username="rep-a", role=Role.company_rep, company_slug="jet")
    builders.login(app_client, "rep-a")
    token = builders.token_for(db, user)
    machine = TestClient(app_client.app)
    return {
        "session": (app_client, {}),
        "token": (machine, {"Authorization": f"Bearer {token}"}),
    }


def check_route(
    route: ApiGet, client: TestClient, headers: dict[str, Any], rival: Rival
) -> list[str]:
    """Problems found calling one route every way the test knows; empty when it is safe."""
    problems: list[str] = []
    answered = False
    for path, sent, owned_by_b in path_values(route, rival):
        for query in QUERIES:
            url = f"{path}?{query_string(query, rival)}" if query else path
            response = client.get(url, headers=headers)
            if response.status_code >= 500:
                problems.append(f"{url}: {response.status_code}")
                continue
            answered = answered or response.status_code != 422
            if owned_by_b and response.status_code not in (403, 404):
                problems.append(f"{url}: B's row answered {response.status_code}")
            markers = rival.markers - sent  # an error may echo what was asked
            body = response.json() if "json" in response.headers.get("content-type", "") else None
            found = leaks(body, rival, markers) if body is not None else []
            found += [f"text {m!r}" for m in markers if body is None and m in response.text]
            problems += [f"{url}: {f}" for f in found]
    if not answered:
        problems.append(f"{route.path}: every call was refused as invalid; teach QUERIES")
    return problems


def test_company_a_cannot_read_company_b_through_any_api_route(
    app_client: TestClient, db: Session, city: City, rival: Rival
):
    routes = get_routes(app_client)
    paths = {r.path.removeprefix(API_PREFIX) for r in routes}
    assert {"/complaints/{reference}", "/damage/handovers/{handover_id}"} <= paths
    problems: list[str] = []
    for way, (client, headers) in callers(app_client, db, city).items():
        own = client.get(f"{API_PREFIX}/vehicles", headers=headers)
        assert own.status_code == 200 and own.json()["total"] == 2, (way, own.text)
        for route in routes:
            problems += [f"{way} {p}" for p in check_route(route, client, headers, rival)]
    assert not problems, "\n".join(problems)


def test_b_has_the_cases_the_walk_asks_for(
    app_client: TestClient, db: Session, city: City, rival: Rival
):
    # Through the operator's eyes every row of B's the walk tries exists and shows B: a 404 for A
    # is the scope, not a missing row or file.
    boss = builders.make_user(db, city, username="iso-boss", role=Role.admin)
    staff = {"Authorization": f"Bearer {builders.token_for(db, boss)}"}
    ref, photo = rival.ids["complaint"][0], rival.ids["complaint_photo"][0]
    for path in (
        f"/complaints/{ref}",
        f"/damage/handovers/{rival.ids['handover'][0]}",
        f"/damage/deliveries?handover_id={rival.ids['handover'][0]}",
        f"/damage/batches/{rival.ids['batch'][0]}",
    ):
        answer = app_client.get(f"{API_PREFIX}{path}", headers=staff)
        assert answer.status_code == 200, path
        assert leaks(answer.json(), rival, rival.markers), path
    for path in (
        f"/complaints/{ref}/photos/{photo}",
        f"/damage/photos/{rival.ids['damage_photo'][0]}",
    ):
        assert app_client.get(f"{API_PREFIX}{path}", headers=staff).status_code == 200, path


def test_the_leak_detector_finds_b(rival: Rival):
    assert leaks({"features": [{"properties": {"company": rival.company.slug}}]}, rival, set())
    assert leaks([{"company_id": rival.company.id}], rival, set())
    assert leaks({"companies": {rival.company.slug: 3}}, rival, set())
    assert leaks({"x": f"id {MARK}-v0"}, rival, rival.markers)
    assert not leaks({"company": "jet", "company_id": -1}, rival, rival.markers)
