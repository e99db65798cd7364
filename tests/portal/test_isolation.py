"""Jet's representative never sees Whoosh's data, on any portal page or company-facing API.

Both companies have complaints and damage handovers too (``tests/complaints/cases.py``): a
complaint routed to each (with a photo and a thread), a handover (with a photo, a webhook delivery
and an act), and a complaint routed to both, which Jet reads without anything of Whoosh's in it.
Jet's answers (acknowledge, collect, comment, upload, send again) on Whoosh's cases are refused.

Pages: every GET route under /portal is walked, so the handover and complaint pages other domains
add there are checked as soon as they are mounted. A route with path parameters is called with
each of Whoosh's ids (a known kind gets ids of that kind, an unknown one every id Whoosh has) and
must answer 403 or 404; every answer is searched for Whoosh's markers. ``?company=whoosh`` on
any portal page is a 403.

APIs: the routes a company's systems call with its token are listed in ``COMPANY_API`` (add new
company-facing routes there), and every GET route under /api/v1/portal is added on its own. Each
is called with a session and with an API token.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.app import API_PREFIX
from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.complaints import matches, routing
from tartip.complaints import service as complaints
from tartip.complaints.models import Complaint
from tartip.complaints.schemas import RouteRequest
from tartip.settings import Settings
from tests import builders
from tests.complaints.cases import Cases, file_complaint, say, seed_cases, staff
from tests.ops.helpers import jpeg_with_gps
from tests.portal.conftest import LAT, LON, OWN, RIVAL, World

# Company-facing API routes: {kind} is filled with each of Whoosh's ids of that kind.
COMPANY_API = [
    "/portal/overview",
    "/violations?state=all&size=1000",
    "/violations?company=whoosh&state=all",
    "/violations/{violation}",
    "/feeds",
    "/feeds?company_id={company}",
    "/feeds/{feed}",
    "/feeds/{feed}/pulls",
    "/vehicles?size=1000&in_feed_only=false",
    "/vehicles?company=whoosh&in_feed_only=false",
    "/fleet/summary",
    "/companies",
    "/rule-adoption",
    "/zones",
    "/zones/{zone}",
    "/rules/gbfs/3.0/geofencing_zones.json?company=jet",
    "/rules/gbfs/2.3/geofencing_zones.json?company=jet",
    "/me/tokens",
    "/complaints?size=1000",
    "/complaints?company=whoosh",
    "/complaints?open_only=true&size=1000",
    "/complaints/{complaint}",
    "/complaints/{complaint}/photos/{complaint_photo}",
    "/complaints/{complaint}/photos/{complaint_photo}?thumb=true",
    "/complaints/figures",
    "/damage/handovers?size=1000",
    "/damage/handovers?company=whoosh",
    "/damage/handovers/{handover}",
    "/damage/photos/{damage_photo}",
    "/damage/deliveries?size=1000",
    "/damage/deliveries?company=whoosh",
    "/damage/deliveries?handover_id={handover}",
    "/damage/figures",
    "/damage/figures?company=whoosh",
    "/damage/agreements/whoosh",
    "/damage/webhooks/whoosh",
    "/damage/batches/{batch}",
]
# Kinds of rows that are public (the city's zones are published as MDS Geography): a company may
# read one that binds only its rival, as long as the rival's caps and name stay out of it.
PUBLIC = {"zone"}
# Path parameters whose kind is known, by name.
KINDS = {
    "violation_id": "violation",
    "feed_id": "feed",
    "company_id": "company",
    "zone_id": "zone",
    "token_id": "token",
    "ref": "complaint",
    "reference": "complaint",
    "handover_id": "handover",
    "batch_id": "batch",
}


@dataclass
class CaseWorld:
    """Each company's complaint and handover, and a complaint routed to both."""

    own: Cases
    rival: Cases
    shared: Complaint


@pytest.fixture
def cases(db: Session, world: World, settings: Settings) -> CaseWorld:
    """Jet's and Whoosh's complaints and handovers (photos, threads, deliveries, acts)."""
    city, root = world.city, settings.media_root
    own = seed_cases(
        db, city, world.own.company, tag=OWN, lon=LON, lat=LAT, root=root,
        rep=scope_of(world.own.rep),
    )  # fmt: skip
    rival = seed_cases(
        db, city, world.rival.company, tag=RIVAL, lon=LON + 0.01, lat=LAT, root=root,
        rep=scope_of(world.rival.rep),
    )  # fmt: skip
    # Jet's scooter stands there and a supervisor adds Whoosh's: the case goes to both.
    shared = file_complaint(db, city, lon=LON, lat=LAT, description="Both fleets", root=root)
    matches.decide_vehicle(
        db, scope=staff(city), reference=shared.reference, action="add", company="whoosh",
        vehicle_id=f"{RIVAL}-v0",
    )  # fmt: skip
    routing.route(
        db, scope=staff(city), reference=shared.reference, data=RouteRequest(companies=True)
    )
    say(db, city, shared, world.rival.company, f"{RIVAL} shared answer", scope_of(world.rival.rep))
    say(db, city, shared, world.own.company, f"{OWN} shared answer", scope_of(world.own.rep))
    say(db, city, shared, world.rival.company, f"{RIVAL} staff to whoosh", None)
    return CaseWorld(own=own, rival=rival, shared=shared)


def scope_of(user: User) -> Scope:
    """The scope a company representative acts in."""
    return Scope(
        user_id=user.id, username=user.username, role=Role.company_rep,
        city_id=user.city_id or 0, company_id=user.company_id,
    )  # fmt: skip


def rival_ids(world: World, token_id: int, cases: CaseWorld) -> dict[str, list[int | str]]:
    """Whoosh's row ids by kind."""
    return {**world.rival.ids, **cases.rival.ids, "token": [token_id]}


def fill(path: str, ids: dict[str, list[int | str]]) -> Iterator[tuple[str, bool]]:
    """``path`` with each combination of Whoosh's ids in its parameters, and whether the URL names
    a row of Whoosh's own (an id in the path, not a public zone): that must be a 403 or 404."""
    names = re.findall(r"{(\w+)}", path)
    owned = any(
        KINDS.get(name, name) not in PUBLIC for name in re.findall(r"{(\w+)}", path.split("?")[0])
    )
    choices = []
    for name in names:
        kind = KINDS.get(name, name)
        values = ids.get(kind) or [v for vs in ids.values() for v in vs]
        choices.append([(name, v) for v in values])
    for combo in itertools.product(*choices):
        filled = path
        for name, value in combo:
            filled = filled.replace("{" + name + "}", str(value))
        yield filled, owned


def leaks(text: str, world: World) -> list[str]:
    """What of Whoosh's shows in an answer: a marker, its id as a company, its slug as a company."""
    found = [m for m in world.rival_markers if m in text]
    rival_id = world.rival.company.id
    if re.search(rf'"company_id":\s*{rival_id}\b', text):
        found.append(f"company_id {rival_id}")
    if re.search(r'"(company|slug|company_slug)":\s*"whoosh"', text) or '"whoosh":' in text:
        found.append("slug whoosh")
    return found


def get_paths(client: TestClient) -> set[str]:
    """The full path of every GET route of the app (FastAPI includes routers lazily)."""
    routes = list(iter_route_contexts(client.app.routes))  # type: ignore[attr-defined]
    return {
        str(r.path)
        for r in routes
        if isinstance(getattr(r, "original_route", r), APIRoute) and "GET" in (r.methods or ())
    }


def page_routes(client: TestClient) -> list[str]:
    """Every GET page route of the portal."""
    paths = {path for path in get_paths(client) if path.startswith("/portal")}
    assert {"/portal", "/portal/violations", "/portal/feeds", "/portal/rules"} <= paths
    return sorted(paths)


def api_routes(client: TestClient) -> list[str]:
    """The company-facing API routes, with every GET route under /api/v1/portal."""
    portal = {
        path.removeprefix(API_PREFIX)
        for path in get_paths(client)
        if path.startswith(f"{API_PREFIX}/portal")
    }
    listed = {p.split("?")[0] for p in COMPANY_API}
    return COMPANY_API + sorted(portal - listed)


@pytest.fixture
def rival_token(db: Session, world: World) -> int:
    """An API token of Whoosh's representative (its id is a path value to try)."""
    builders.token_for(db, world.rival.rep)
    return auth_service.list_tokens(db, user_id=world.rival.rep.id)[0].id


def check_pages(client: TestClient, world: World, ids: dict[str, list[int | str]]) -> list[str]:
    """Problems found on the portal's pages for Jet's representative."""
    problems: list[str] = []
    for route in page_routes(client):
        for path, owned_by_rival in fill(route, ids):
            for url in (path, f"{path}?company=whoosh"):
                response = client.get(url)
                expected = (403, 404) if owned_by_rival or "company=" in url else (200,)
                if response.status_code not in expected:
                    problems.append(f"{url}: {response.status_code}, expected {expected}")
                problems += [f"{url}: shows {leak}" for leak in leaks(response.text, world)]
    return problems


def test_no_portal_page_shows_another_companys_data(
    app_client: TestClient, world: World, rival_token: int, cases: CaseWorld
):
    builders.login(app_client, "rep-jet")
    problems = check_pages(app_client, world, rival_ids(world, rival_token, cases))
    assert not problems, "\n".join(problems)
    # The pages do show Jet's own rows: the search above looks where data is.
    for path in ("/portal", "/portal/violations", "/portal/feeds", "/portal/rules"):
        assert OWN in app_client.get(path).text, path
    own = cases.own
    assert own.complaint.reference in app_client.get("/portal/complaints").text
    assert OWN in app_client.get(f"/portal/complaints/{own.complaint.reference}").text
    assert own.handover.reference in app_client.get("/portal/handovers").text
    assert OWN in app_client.get(f"/portal/handovers/{own.handover.id}").text


def check_api(
    client: TestClient, headers: dict[str, str], world: World, ids: dict[str, list[int | str]]
) -> list[str]:
    """Problems found on the company-facing API for one way of calling it."""
    problems: list[str] = []
    for route in api_routes(client):
        for path, owned_by_rival in fill(route, ids):
            response = client.get(f"{API_PREFIX}{path}", headers=headers)
            if owned_by_rival and response.status_code not in (403, 404):
                problems.append(f"{path}: Whoosh's row answered {response.status_code}")
            elif not owned_by_rival and response.status_code >= 500:
                problems.append(f"{path}: {response.status_code}")
            problems += [f"{path}: shows {leak}" for leak in leaks(response.text, world)]
    return problems


def test_no_company_api_shows_another_companys_data(
    app_client: TestClient, db: Session, world: World, rival_token: int, cases: CaseWorld
):
    ids = rival_ids(world, rival_token, cases)
    builders.login(app_client, "rep-jet")
    machine = TestClient(app_client.app)
    token = {"Authorization": f"Bearer {builders.token_for(db, world.own.rep)}"}
    problems = [f"session {p}" for p in check_api(app_client, {}, world, ids)]
    problems += [f"token {p}" for p in check_api(machine, token, world, ids)]
    assert not problems, "\n".join(problems)
    own = machine.get(f"{API_PREFIX}/portal/overview", headers=token).json()
    assert own["company"] == "jet" and own["open_violations"] == 2
    # Jet's own cases do answer, photos included: a 404 above is the scope, not a missing file.
    mine = cases.own
    for path in (
        f"/complaints/{mine.complaint.reference}/photos/{mine.complaint_photo.id}",
        f"/damage/photos/{mine.damage_photo.id}",
    ):
        answer = machine.get(f"{API_PREFIX}{path}", headers=token)
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/jpeg", path
    listed = machine.get(f"{API_PREFIX}/damage/deliveries", headers=token).json()
    assert [d["id"] for d in listed["items"]] == [mine.delivery.id]


def test_jet_reads_a_complaint_routed_to_both_without_anything_of_whooshs(
    app_client: TestClient, db: Session, world: World, cases: CaseWorld
):
    ref = cases.shared.reference
    token = {"Authorization": f"Bearer {builders.token_for(db, world.own.rep)}"}
    answer = app_client.get(f"{API_PREFIX}/complaints/{ref}", headers=token)
    assert answer.status_code == 200
    body = answer.json()
    assert [v["company"] for v in body["vehicles"]] == ["jet"] * len(body["vehicles"])
    assert [c["company"] for c in body["companies"]] == ["jet"]
    assert [c["body"] for c in body["comments"]] == [f"{OWN} shared answer"]
    assert leaks(answer.text, world) == []
    builders.login(app_client, "rep-jet")
    page = app_client.get(f"/portal/complaints/{ref}")
    assert page.status_code == 200 and f"{OWN} shared answer" in page.text
    assert leaks(page.text, world) == []
    # Whoosh's representative, for the same complaint, sees Whoosh's side only.
    rival = {"Authorization": f"Bearer {builders.token_for(db, world.rival.rep)}"}
    theirs = app_client.get(f"{API_PREFIX}/complaints/{ref}", headers=rival).json()
    assert sorted(c["body"] for c in theirs["comments"]) == sorted(
        [f"{RIVAL} shared answer", f"{RIVAL} staff to whoosh"]
    )
    assert OWN not in json.dumps(theirs)


def test_jet_cannot_act_on_whooshs_cases(
    app_client: TestClient, db: Session, world: World, cases: CaseWorld
):
    theirs = cases.rival
    token = {"Authorization": f"Bearer {builders.token_for(db, world.own.rep)}"}
    machine = TestClient(app_client.app)
    api = f"{API_PREFIX}/damage/handovers/{theirs.handover.id}"
    for action in ("acknowledge", "collect", "resolve"):
        refused = machine.post(f"{api}/{action}", json={"note": "x"}, headers=token)
        assert refused.status_code == 404, (action, refused.text)
    ref = theirs.complaint.reference
    calls = [
        machine.post(f"{API_PREFIX}/complaints/{ref}/comments", json={"body": "x"}, headers=token),
        machine.post(
            f"{API_PREFIX}/complaints/{ref}/photos",
            files={"file": ("x.jpg", jpeg_with_gps(), "image/jpeg")}, headers=token,
        ),
        machine.post(f"{API_PREFIX}/damage/deliveries/{theirs.delivery.id}/redeliver",
                     headers=token),
    ]  # fmt: skip
    assert [c.status_code for c in calls] == [404, 404, 404], [c.text for c in calls]
    builders.login(app_client, "rep-jet")
    page = app_client.get("/portal/handovers")
    csrf = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    portal = [
        app_client.post(f"/portal/handovers/{theirs.handover.id}/collect",
                        data={"csrf_token": csrf}, follow_redirects=False),
        app_client.post(f"/portal/complaints/{ref}/answer",
                        data={"csrf_token": csrf, "body": "x"}, follow_redirects=False),
    ]  # fmt: skip
    assert [p.status_code for p in portal] == [404, 404], [p.text[:200] for p in portal]
    db.refresh(theirs.handover)
    assert theirs.handover.status == "handed_over" and theirs.delivery.attempts == 0
    thread = routing.comments_of(db, scope=staff(world.city), complaint_id=theirs.complaint.id)
    assert [n.body for n in thread] == [f"{RIVAL} thread"]
    assert (
        len(complaints.photo_ids(db, complaint_ids=[theirs.complaint.id])[theirs.complaint.id]) == 1
    )


def test_the_search_finds_whoosh_where_it_is(
    app_client: TestClient, db: Session, world: World, rival_token: int, cases: CaseWorld
):
    # Seen through a supervisor's read-only view, Whoosh's portal shows its markers: the same
    # search that finds nothing for Jet's representative would have found a leak.
    builders.make_user(db, world.city, username="boss", role=Role.supervisor)
    builders.login(app_client, "boss")
    for path in ("/portal", "/portal/violations", "/portal/feeds"):
        assert leaks(app_client.get(f"{path}?company=whoosh").text, world), path
    answer = app_client.get(f"{API_PREFIX}/violations?company=whoosh&state=all")
    assert leaks(json.dumps(answer.json()), world)
    # Whoosh's cases are where the walk looked for them, and their photos are on disk.
    theirs = cases.rival
    for path in (
        "/portal/complaints?company=whoosh",
        f"/portal/complaints/{theirs.complaint.reference}?company=whoosh",
        "/portal/handovers?company=whoosh",
        f"/portal/handovers/{theirs.handover.id}?company=whoosh",
    ):
        assert leaks(app_client.get(path).text, world), path
    for path in (
        f"/complaints/{theirs.complaint.reference}",
        f"/damage/handovers/{theirs.handover.id}",
        f"/damage/deliveries?handover_id={theirs.handover.id}",
        f"/damage/batches/{theirs.batch.id}",
    ):
        assert leaks(app_client.get(f"{API_PREFIX}{path}").text, world), path
    for path in (
        f"/complaints/{theirs.complaint.reference}/photos/{theirs.complaint_photo.id}",
        f"/damage/photos/{theirs.damage_photo.id}",
    ):
        assert app_client.get(f"{API_PREFIX}{path}").status_code == 200, path
    assert leaks(json.dumps({"company_id": world.rival.company.id}), world)
    assert not leaks(json.dumps({"company_id": world.own.company.id}), world)
