"""The companies' portal in the browser's terms: pages over real HTTP, on both databases."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.auth.enums import Role
from tartip.auth.models import ApiToken
from tartip.portal.schemas import PortalOverview
from tests import builders
from tests.portal.conftest import OWN, RIVAL, World


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def _map_data(html: str, map_id: str) -> dict[str, Any]:
    found = re.search(rf'<script type="application/json" id="{map_id}-data">(.*?)</script>', html)
    assert found, f"no map {map_id}"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _sign_in(client: TestClient, username: str) -> str:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": builders.PASSWORD, "csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_a_representative_lands_on_their_portal(app_client: TestClient, world: World):
    assert _sign_in(app_client, "rep-jet") == "/portal"
    page = app_client.get("/portal")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="portal-company">Jet<' in html
    assert re.search(r'data-testid="vehicles-total">3<', html)
    assert re.search(r'data-testid="vehicles-disabled">1<', html)
    assert re.search(r'data-testid="violations-open">2<', html)
    assert 'data-testid="violations-kind-no_parking"' in html
    assert 'data-testid="nav-portal"' in html and 'aria-current="page">' in html
    assert f"{OWN} timed out" in html and RIVAL not in html
    assert 'data-testid="portal-readonly"' not in html


def test_the_home_page_sends_each_role_to_its_start(
    app_client: TestClient, db: Session, world: World
):
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/public"
    _sign_in(app_client, "rep-jet")
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/portal"
    builders.make_user(db, world.city, username="boss2", role=Role.supervisor)
    app_client.cookies.clear()
    _sign_in(app_client, "boss2")
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/map"


def test_staff_land_where_they_asked(app_client: TestClient, db: Session, world: World):
    builders.make_user(db, world.city, username="boss", role=Role.supervisor)
    assert _sign_in(app_client, "boss") == "/"


def test_violations_open_and_recent_with_a_map(app_client: TestClient, world: World):
    _sign_in(app_client, "rep-jet")
    html = app_client.get("/portal/violations").text
    assert re.search(r'data-testid="open-total">2<', html)
    assert re.search(r'data-testid="recent-total">1<', html)
    own_ids = {v.id for v in world.own.violations}
    features = _map_data(html, "violations-map")["features"]
    assert {f["id"] for f in features} == own_ids
    assert all(f["properties"]["href"] == f"/portal/violations/{f['id']}" for f in features)
    assert RIVAL not in html
    kind = app_client.get("/portal/violations?kind=parked_too_long").text
    assert re.search(r'data-testid="open-total">1<', kind)
    assert app_client.get("/portal/violations?kind=nonsense").status_code == 200


def test_a_violation_shows_its_evidence_and_a_rivals_is_not_found(
    app_client: TestClient, world: World
):
    _sign_in(app_client, "rep-jet")
    own = world.own.violations[0]
    detail = app_client.get(f"/portal/violations/{own.id}")
    assert detail.status_code == 200
    assert f"{OWN}-veh-1" in detail.text and f"{OWN} corner" in detail.text
    assert _map_data(detail.text, "violation-map")["features"][0]["id"] == own.id
    for rival in world.rival.violations + world.rival.closed:
        response = app_client.get(f"/portal/violations/{rival.id}")
        assert response.status_code == 404 and RIVAL not in response.text


def test_feeds_show_health_fetches_and_schema_problems(app_client: TestClient, world: World):
    _sign_in(app_client, "rep-jet")
    html = app_client.get("/portal/feeds").text
    assert f'data-testid="feed-{world.own.feed.id}"' in html
    assert f"data.vehicles[2] ({OWN})" in html and "lat is required" in html
    assert re.search(r'data-testid="schema-problems">1<', html)
    assert f'data-testid="feed-{world.rival.feed.id}"' not in html and RIVAL not in html


def test_rules_show_the_zones_that_bind_the_company(app_client: TestClient, world: World):
    _sign_in(app_client, "rep-jet")
    html = app_client.get("/portal/rules").text
    assert f'data-testid="rule-{world.shared_zone.id}"' in html
    assert f'data-testid="rule-{world.own.zone.id}"' in html  # type: ignore[union-attr]
    assert f"{OWN} slow lane" in html and "10" in html
    assert f'data-testid="rule-{world.rival.zone.id}"' not in html  # type: ignore[union-attr]
    assert RIVAL not in html
    features = _map_data(html, "rules-map")["features"]
    assert {f["id"] for f in features} == {world.shared_zone.id, world.own.zone.id}  # type: ignore[union-attr]
    assert "/api/v1/rules/gbfs/3.0/geofencing_zones.json?company=jet" in html
    gbfs = app_client.get("/api/v1/rules/gbfs/3.0/geofencing_zones.json?company=jet").json()
    zones = gbfs["data"]["geofencing_zones"]["features"]
    names = {f["properties"]["name"][0]["text"] for f in zones}
    assert f"{OWN} slow lane" in names and "Abay Ave hub" not in names


def test_tokens_are_made_and_revoked_in_the_portal(
    app_client: TestClient, db: Session, world: World
):
    _sign_in(app_client, "rep-jet")
    page = app_client.get("/portal/tokens")
    made = app_client.post(
        "/portal/tokens", data={"name": "dispatch system", "csrf_token": _csrf(page.text)}
    )
    assert made.status_code == 200
    secret = re.search(r'data-testid="new-token">([^<]+)<', made.text)
    assert secret and "dispatch system" in made.text
    machine = TestClient(app_client.app)
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    answer = machine.get("/api/v1/portal/overview", headers=headers)
    assert answer.status_code == 200, answer.text
    overview = PortalOverview.model_validate(answer.json())
    assert overview.company == "jet" and overview.open_violations == 2 and overview.vehicles == 3
    token_id = int(re.search(r'data-testid="revoke-(\d+)"', made.text).group(1))  # type: ignore[union-attr]
    revoked = app_client.post(
        f"/portal/tokens/{token_id}/revoke",
        data={"csrf_token": _csrf(made.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert machine.get("/api/v1/portal/overview", headers=headers).status_code == 401
    entries = select(AuditEntry.action, AuditEntry.actor).where(
        AuditEntry.entity_type == "api_token", AuditEntry.entity_id == str(token_id)
    )
    actions = set(db.execute(entries))
    assert actions == {("api_token.create", "rep-jet"), ("api_token.revoke", "rep-jet")}


def test_a_rivals_token_cannot_be_revoked_from_the_portal(
    app_client: TestClient, db: Session, world: World
):
    rival_token = builders.token_for(db, world.rival.rep)
    _sign_in(app_client, "rep-jet")
    page = app_client.get("/portal/tokens")
    token = db.scalars(select(ApiToken).where(ApiToken.user_id == world.rival.rep.id)).one()
    response = app_client.post(
        f"/portal/tokens/{token.id}/revoke", data={"csrf_token": _csrf(page.text)}
    )
    assert response.status_code == 404
    headers = {"Authorization": f"Bearer {rival_token}"}
    assert TestClient(app_client.app).get("/api/v1/me", headers=headers).status_code == 200


def test_a_supervisor_sees_a_companys_portal_read_only(
    app_client: TestClient, db: Session, world: World
):
    builders.make_user(db, world.city, username="boss", role=Role.supervisor)
    _sign_in(app_client, "boss")
    chooser = app_client.get("/portal")
    assert chooser.status_code == 200 and 'data-testid="portal-company-whoosh"' in chooser.text
    html = app_client.get("/portal?company=whoosh").text
    assert 'data-testid="portal-readonly"' in html and f"{RIVAL} timed out" in html
    assert 'href="/portal/violations?company=whoosh"' in html
    assert 'data-testid="portal-nav-tokens"' not in html
    violations = app_client.get("/portal/violations?company=whoosh").text
    assert {f["id"] for f in _map_data(violations, "violations-map")["features"]} == {
        v.id for v in world.rival.violations
    }
    assert OWN not in violations
    assert app_client.get("/portal/tokens?company=whoosh").status_code == 403
    assert app_client.get("/portal/violations").status_code == 422  # which company?
    assert app_client.get("/portal?company=nobody").status_code == 404
    api = app_client.get("/api/v1/portal/overview?company=whoosh")
    assert api.status_code == 200 and api.json()["company"] == "whoosh"
    assert app_client.get("/api/v1/portal/overview").status_code == 422


def test_others_may_not_open_the_portal(app_client: TestClient, db: Session, world: World):
    for role in (Role.scout, Role.technician, Role.city_viewer):
        builders.make_user(db, world.city, username=f"someone-{role.value}", role=role)
        client = TestClient(app_client.app)  # a browser of their own
        _sign_in(client, f"someone-{role.value}")
        for path in ("/portal", "/portal?company=jet", "/portal/violations?company=jet"):
            assert client.get(path).status_code == 403, (role, path)
        assert client.get("/api/v1/portal/overview?company=jet").status_code == 403, role
        assert 'data-testid="nav-portal"' not in client.get("/map").text, role


def test_a_representative_cannot_ask_for_another_company(app_client: TestClient, world: World):
    _sign_in(app_client, "rep-jet")
    for path in ("/portal?company=whoosh", "/portal/violations?company=whoosh"):
        response = app_client.get(path)
        assert response.status_code == 403 and RIVAL not in response.text
    assert app_client.get("/portal?company=jet").status_code == 200
    api = app_client.get("/api/v1/portal/overview?company=whoosh")
    assert api.status_code == 403 and api.json()["code"] == "forbidden"


def test_signed_out_visitors_are_sent_to_sign_in(app_client: TestClient, world: World):
    response = app_client.get(
        "/portal/rules", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert app_client.get("/api/v1/portal/overview").status_code == 401
