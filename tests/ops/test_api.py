"""The ops API: status, content type and bodies validated against their schemas; scopes hold."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.ops.enums import TaskState
from tartip.ops.schemas import (
    CoverageRead,
    DamageRead,
    Prefill,
    ScoutLive,
    ShiftPage,
    ShiftRead,
    StaffRead,
    TaskPage,
    TaskRead,
    TeamRead,
    VehicleMatch,
    WorkLogPage,
    WorkLogRead,
)
from tests import builders
from tests.ops.helpers import CENTRE, make_duty_zone, make_shift, make_staff, make_task

API = "/api/v1/ops"


def auth(db: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}


def test_a_supervisor_makes_assigns_and_a_scout_works_a_task(
    app_client: TestClient, db: Session, city: City
):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    made = app_client.post(
        f"{API}/tasks",
        json={
            "kind": "move_to_parking",
            "lon": CENTRE[0],
            "lat": CENTRE[1],
            "companies": ["jet"],
            "priority": 4,
        },
        headers=auth(db, lead),
    )
    assert made.status_code == 201 and made.headers["content-type"] == "application/json"
    task = TaskRead.model_validate(made.json())
    assigned = app_client.post(
        f"{API}/tasks/{task.id}/assign", json={"scout_id": scout.id}, headers=auth(db, lead)
    )
    assert TaskRead.model_validate(assigned.json()).scout.id == scout.id
    me = auth(db, scout)
    mine = app_client.get(f"{API}/me/tasks", headers=me).json()
    assert [t["id"] for t in mine] == [task.id]
    assert (
        app_client.post(f"{API}/tasks/{task.id}/accept", headers=me).json()["state"] == "accepted"
    )
    assert (
        app_client.post(f"{API}/tasks/{task.id}/start", headers=me).json()["state"] == "in_progress"
    )
    assert Prefill.model_validate(
        app_client.get(f"{API}/tasks/{task.id}/prefill", headers=me).json()
    ).companies
    done = app_client.post(
        f"{API}/tasks/{task.id}/finish",
        json={"counts": [{"company": "jet", "count": 6}]},
        headers=me,
    )
    assert done.status_code == 200
    log = WorkLogRead.model_validate(done.json())
    assert log.total == 6 and log.counts == {"jet": 6}
    again = app_client.post(f"{API}/tasks/{task.id}/accept", headers=me)
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    logs = WorkLogPage.model_validate(
        app_client.get(f"{API}/work-logs", headers=auth(db, lead)).json()
    )
    assert logs.total == 1
    assert app_client.get(f"{API}/work-logs/{log.id}", headers=me).status_code == 200


def test_a_scout_gets_404_for_another_scouts_task(app_client: TestClient, db: Session, city: City):
    mine, theirs = make_staff(db, city), make_staff(db, city)
    other = make_task(db, city, scout=theirs)
    me = auth(db, mine)
    assert app_client.get(f"{API}/tasks/{other.id}", headers=me).status_code == 404
    assert app_client.post(f"{API}/tasks/{other.id}/accept", headers=me).status_code == 404
    assert app_client.get(f"{API}/tasks", headers=me).json()["total"] == 0
    assert (
        app_client.post(
            f"{API}/tasks", json={"kind": "patrol_zone", "lon": 76.9, "lat": 43.2}, headers=me
        ).status_code
        == 403
    )


def test_a_company_rep_sees_their_part_of_a_task_and_no_personal_data(
    app_client: TestClient, db: Session, city: City
):
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    scout = make_staff(db, city)
    scout.full_name = "Нурлан"
    task = make_task(db, city, scout=scout, company_ids=[jet.id, whoosh.id])
    task.vehicles = [
        {"vehicle_id": "J-1", "company_id": jet.id},
        {"vehicle_id": "W-1", "company_id": whoosh.id},
    ]
    task.explanation = "nearest scout"
    rep = make_staff(db, city, Role.company_rep, company_slug="jet")
    page = TaskPage.model_validate(app_client.get(f"{API}/tasks", headers=auth(db, rep)).json())
    [seen] = page.items
    assert seen.companies == ["jet"] and [v.vehicle_id for v in seen.vehicles] == ["J-1"]
    assert seen.scout is not None and seen.scout.id is None and seen.scout.name == "Нурлан"
    assert seen.explanation == ""
    assert app_client.get(f"{API}/staff", headers=auth(db, rep)).status_code == 403
    assert app_client.get(f"{API}/vehicles/identify/J-1", headers=auth(db, rep)).status_code == 403


def test_validation_errors_are_clear(app_client: TestClient, db: Session, city: City):
    lead = make_staff(db, city, Role.supervisor)
    bad = app_client.post(
        f"{API}/tasks", json={"kind": "fly", "lon": 500, "lat": 43}, headers=auth(db, lead)
    )
    assert bad.status_code == 422
    wheres = {p["where"] for p in bad.json()["problems"]}
    assert {"body.kind", "body.lon"} <= wheres
    unknown = app_client.post(
        f"{API}/tasks",
        json={"kind": "patrol_zone", "lon": 76.9, "lat": 43.2, "companies": ["bolt"]},
        headers=auth(db, lead),
    )
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["where"] == "companies"


def test_teams_staff_shifts_check_in_and_coverage(app_client: TestClient, db: Session, city: City):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    covered, _medeu = (
        make_duty_zone(db, city, name="Arbat"),
        make_duty_zone(db, city, name="Medeu", lon=77.0),
    )
    boss = auth(db, lead)
    team = TeamRead.model_validate(
        app_client.post(f"{API}/teams", json={"name": "Centre"}, headers=boss).json()
    )
    profile = app_client.patch(
        f"{API}/staff/{scout.id}",
        json={"team_id": team.id, "travel_mode": "e_bike", "phone": "+77010000000"},
        headers=boss,
    )
    assert StaffRead.model_validate(profile.json()).travel_mode == "e_bike"
    now = utcnow()
    body = {
        "user_id": scout.id,
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=6)).isoformat(),
        "zone_ids": [covered.id],
    }
    made = app_client.post(f"{API}/shifts", json=body, headers=boss)
    assert made.status_code == 201, made.text
    shift = ShiftRead.model_validate(made.json())
    assert shift.zone_names == ["Arbat"]
    assert app_client.post(f"{API}/shifts", json=body, headers=boss).status_code == 409  # overlaps
    wrong = app_client.post(
        f"{API}/shifts", json={**body, "user_id": lead.id, "zone_ids": [999999]}, headers=boss
    )
    assert wrong.status_code == 422
    states = {c["name"]: c["state"] for c in app_client.get(f"{API}/coverage", headers=boss).json()}
    assert states == {"Arbat": "expected", "Medeu": "uncovered"}
    me = auth(db, scout)
    assert app_client.get(f"{API}/me/shift", headers=me).json()["id"] == shift.id
    checked = app_client.post(f"{API}/me/check-in", json={"lon": 76.93, "lat": 43.25}, headers=me)
    assert checked.status_code == 200 and checked.json()["checked_in_at"]
    coverage = [
        CoverageRead.model_validate(c)
        for c in app_client.get(f"{API}/coverage", headers=boss).json()
    ]
    assert {c.name: c.state for c in coverage}["Arbat"] == "covered"
    live = [
        ScoutLive.model_validate(s)
        for s in app_client.get(f"{API}/scouts/live", headers=boss).json()
    ]
    assert [s.user_id for s in live] == [scout.id] and live[0].checked_in
    assert (
        app_client.post(
            f"{API}/me/position", json={"lon": 76.94, "lat": 43.26}, headers=me
        ).status_code
        == 204
    )
    page = ShiftPage.model_validate(app_client.get(f"{API}/shifts", headers=boss).json())
    assert page.total == 1
    assert app_client.post(f"{API}/me/check-out", json={}, headers=me).json()["checked_out_at"]
    assert app_client.delete(f"{API}/shifts/{shift.id}", headers=boss).json()["cancelled_at"]
    assert app_client.get(f"{API}/scouts/live", headers=me).status_code == 403


def test_event_duty_shifts_carry_the_event(app_client: TestClient, db: Session, city: City):
    from tartip.events.models import CityEvent

    event = CityEvent(
        city_id=city.id,
        name="Match",
        venue_name="Central Stadium",
        venue_lon=76.92,
        venue_lat=43.24,
        starts_at=utcnow(),
        ends_at=utcnow() + timedelta(hours=2),
    )
    db.add(event)
    db.flush()
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    body = {
        "user_id": scout.id,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "city_event_id": event.id,
    }
    made = app_client.post(f"{API}/shifts", json=body, headers=auth(db, lead))
    assert made.json()["city_event_id"] == event.id
    found = app_client.get(f"{API}/shifts?city_event_id={event.id}", headers=auth(db, lead)).json()
    assert found["total"] == 1


def test_identify_a_vehicle_and_report_damage(app_client: TestClient, db: Session, city: City):
    scout = make_staff(db, city)
    whoosh = builders.company(db, city, "whoosh")
    builders.make_vehicle(
        db, builders.make_feed(db, whoosh), lon=76.93, lat=43.25, vehicle_id="WH123456"
    )
    me = auth(db, scout)
    match = VehicleMatch.model_validate(
        app_client.get(
            f"{API}/vehicles/identify/{quote('https://whoosh.app/s?scooter=wh123456', safe='')}",
            headers=me,
        ).json()
    )
    assert (match.company, match.vehicle_id, match.in_feed) == ("whoosh", "WH123456", True)
    unknown = VehicleMatch.model_validate(
        app_client.get(f"{API}/vehicles/identify/JET-000", headers=me).json()
    )
    assert (unknown.company, unknown.in_feed) == ("jet", False)
    report = app_client.post(
        f"{API}/damage-reports",
        json={"client_id": "c1d2e3f4-0000", "code": "WH123456", "kind": "broken"},
        headers=me,
    )
    assert report.status_code == 201
    read = DamageRead.model_validate(report.json())
    assert (read.company, read.lon) == ("whoosh", 76.93)
    again = app_client.post(
        f"{API}/damage-reports",
        json={"client_id": "c1d2e3f4-0000", "code": "WH123456", "kind": "broken"},
        headers=me,
    )
    assert again.json()["id"] == read.id
    rep = make_staff(db, city, Role.company_rep, company_slug="jet")
    assert app_client.get(f"{API}/damage-reports", headers=auth(db, rep)).json() == []


def test_the_scout_pages_and_the_pwa_files(app_client: TestClient, db: Session, city: City):
    scout = make_staff(db, city)
    builders.login(app_client, scout.username)
    page = app_client.get("/scout")
    assert (
        page.status_code == 200
        and 'data-testid="scout-app"' in page.text
        and "manifest.webmanifest" in page.text
    )
    worker = app_client.get("/scout/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript") and "caches" in worker.text
    manifest = app_client.get("/scout/manifest.webmanifest")
    assert manifest.json()["start_url"] == "/scout"
    assert app_client.get("/ops", headers={"accept": "text/html"}).status_code == 403
    assert app_client.get("/ops/day").status_code == 200


def test_the_console_day_view_and_roster_for_a_supervisor(
    app_client: TestClient, db: Session, city: City
):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    zone = make_duty_zone(db, city, name="Panfilov")
    make_shift(db, city, scout, zones=[zone])
    builders.login(app_client, lead.username)
    app_client.headers["accept-language"] = "en"
    assert 'data-testid="ops-console"' in app_client.get("/ops").text
    day = app_client.get("/ops/day?day=2026-06-30")
    assert day.status_code == 200 and 'data-testid="day-total">0<' in day.text
    roster = app_client.get("/ops/roster")
    assert roster.status_code == 200 and "Panfilov" in roster.text
    token = roster.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    other = make_staff(db, city)
    today = utcnow().date().isoformat()
    added = app_client.post(
        "/ops/roster",
        data={
            "csrf_token": token,
            "user_id": str(other.id),
            "starts_at": f"{today}T22:00",
            "ends_at": f"{today}T23:59",
            "zone_ids": [str(zone.id)],
            "city_event_id": "",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    clash = app_client.post(
        "/ops/roster",
        data={
            "csrf_token": token,
            "user_id": str(other.id),
            "starts_at": f"{today}T23:00",
            "ends_at": f"{today}T23:30",
        },
        follow_redirects=False,
    )
    assert clash.status_code == 409 and "already has a shift at that time" in clash.text


def test_task_filters(app_client: TestClient, db: Session, city: City):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    jet = builders.company(db, city, "jet")
    make_task(db, city, scout=scout, company_ids=[jet.id])
    make_task(db, city, state=TaskState.done)
    boss = auth(db, lead)
    assert app_client.get(f"{API}/tasks?open_only=true", headers=boss).json()["total"] == 1
    assert app_client.get(f"{API}/tasks?company=jet", headers=boss).json()["total"] == 1
    assert app_client.get(f"{API}/tasks?state=done&state=new", headers=boss).json()["total"] == 1
    assert app_client.get(f"{API}/tasks?scout_id={scout.id}", headers=boss).json()["total"] == 1


def test_refused_shifts_and_teams_name_their_field(app_client: TestClient, db: Session, city: City):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    boss = auth(db, lead)
    now = utcnow()
    body = {
        "user_id": scout.id,
        "starts_at": (now + timedelta(hours=2)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
    }
    backwards = app_client.post(f"{API}/shifts", json=body, headers=boss)
    assert backwards.status_code == 422
    assert backwards.json()["problems"] == [
        {"where": "ends_at", "message": "The shift must end after it starts."}
    ]
    body["ends_at"] = (now + timedelta(hours=6)).isoformat()
    made = ShiftRead.model_validate(
        app_client.post(f"{API}/shifts", json=body, headers=boss).json()
    )
    clash = app_client.post(f"{API}/shifts", json=body, headers=boss)
    assert clash.status_code == 409 and clash.json()["problems"][0]["where"] == "starts_at"
    moved = app_client.patch(
        f"{API}/shifts/{made.id}",
        json={"ends_at": (now + timedelta(hours=7)).isoformat(), "note": "longer"},
        headers=boss,
    )
    assert ShiftRead.model_validate(moved.json()).note == "longer"
    team = TeamRead.model_validate(
        app_client.post(f"{API}/teams", json={"name": "Centre"}, headers=boss).json()
    )
    renamed = app_client.patch(f"{API}/teams/{team.id}", json={"name": "Almaly"}, headers=boss)
    assert renamed.status_code == 200 and TeamRead.model_validate(renamed.json()).name == "Almaly"
    me = auth(db, scout)
    assert (
        app_client.patch(f"{API}/teams/{team.id}", json={"name": "x"}, headers=me).status_code
        == 403
    )
    assert app_client.delete(f"{API}/shifts/{made.id}", headers=me).status_code == 403
    bad_phone = app_client.patch(f"{API}/staff/{scout.id}", json={"phone": "call me"}, headers=boss)
    assert bad_phone.status_code == 422
