"""The overview counts the open cases about the company's vehicles, and only its own."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.damage import intake
from tartip.portal.schemas import PortalOverview
from tests import builders
from tests.damage.helpers import make_scout, report_damage
from tests.portal.conftest import LAT, LON, World


def _damaged(db: Session, world: World, code: str, slug: str) -> None:
    side = world.own if slug == "jet" else world.rival
    builders.make_vehicle(db, side.feed, vehicle_id=code, lon=LON, lat=LAT)
    report_damage(db, make_scout(db, world.city), code=code, description="brake cable cut")


def test_open_handovers_are_counted_for_their_company_only(
    app_client: TestClient, db: Session, world: World
):
    _damaged(db, world, "JET-1001", "jet")
    _damaged(db, world, "WSH-2001", "whoosh")
    _damaged(db, world, "WSH-2002", "whoosh")
    intake.from_ops_reports(db, city_id=world.city.id)
    token = {"Authorization": f"Bearer {builders.token_for(db, world.own.rep)}"}
    answer = app_client.get("/api/v1/portal/overview", headers=token)
    assert answer.status_code == 200, answer.text
    cases = {c.key: c for c in PortalOverview.model_validate(answer.json()).cases}
    assert cases["handovers"].open == 1 and cases["handovers"].overdue == 0
    assert cases["complaints"].open == 0
    rival = {"Authorization": f"Bearer {builders.token_for(db, world.rival.rep)}"}
    theirs = app_client.get("/api/v1/portal/overview", headers=rival).json()
    assert {c["key"]: c["open"] for c in theirs["cases"]}["handovers"] == 2
    builders.login(app_client, "rep-jet")
    html = app_client.get("/portal").text
    assert 'data-testid="cases-handovers"' in html and "<strong>1</strong>" in html
