"""The staff and roster pages and the event page's duty section: forms with the CSRF token, city
time in and out, refusals shown next to their fields (translated), and who may use them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from jinja2.ext import babel_extract
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.core.i18n import LOCALE_DIR
from tartip.events import service as events_service
from tartip.events.schemas import CityEventCreate
from tartip.ops import forms, roster, staff
from tartip.ops.enums import TravelMode
from tartip.ops.models import Shift, StaffProfile, Team
from tartip.web.templating import TEMPLATES_DIR
from tests import builders
from tests.ops.helpers import admin_scope, make_duty_zone, make_shift, make_staff

ALMATY = ZoneInfo("Asia/Almaty")
STADIUM = (76.924172, 43.238341)


def form_token(client: TestClient, path: str) -> str:
    """The CSRF token a page's forms carry."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def tomorrow(hour: int, minute: int = 0) -> str:
    """Tomorrow at this time in city time, as a datetime-local field holds it."""
    day = datetime.now(ALMATY).date() + timedelta(days=1)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def test_a_supervisor_keeps_teams_and_profiles_on_the_staff_page(
    app_client: TestClient, db: Session, city: City
):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    builders.login(app_client, lead.username)
    app_client.headers["accept-language"] = "en"
    token = form_token(app_client, "/ops/staff")
    made = app_client.post(
        "/ops/staff/teams", data={"csrf_token": token, "name": " Centre "}, follow_redirects=False
    )
    assert made.status_code == 303 and made.headers["location"].startswith("/ops/staff?saved=1")
    team = db.scalars(select(Team).where(Team.city_id == city.id, Team.name == "Centre")).one()
    again = app_client.post(
        "/ops/staff/teams",
        data={"csrf_token": token, "name": "Centre"},
        headers={"accept-language": "ru"},
    )
    assert again.status_code == 409
    assert "Команда с таким названием уже есть." in again.text
    renamed = app_client.post(
        f"/ops/staff/teams/{team.id}",
        data={"csrf_token": token, "name": "Centre-1"},
        follow_redirects=False,
    )
    assert renamed.status_code == 303 and team.name == "Centre-1"
    saved = app_client.post(
        f"/ops/staff/people/{scout.id}",
        data={
            "csrf_token": token,
            "team_id": str(team.id),
            "travel_mode": "e_bike",
            "phone": "+7 701 234 56 78",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    profile = db.scalars(select(StaffProfile).where(StaffProfile.user_id == scout.id)).one()
    assert (profile.team_id, profile.travel_mode, profile.phone) == (
        team.id,
        TravelMode.e_bike,
        "+7 701 234 56 78",
    )
    bad = app_client.post(
        f"/ops/staff/people/{scout.id}",
        data={"csrf_token": token, "team_id": "", "travel_mode": "rocket", "phone": "call me"},
    )
    assert bad.status_code == 422
    assert forms.BAD_PHONE in bad.text and forms.BAD_MODE in bad.text
    assert 'value="call me"' in bad.text  # what was typed comes back
    assert profile.travel_mode == TravelMode.e_bike and profile.team_id == team.id
    page = app_client.get("/ops/staff")
    assert f'data-username="{scout.username}"' in page.text and "Centre-1" in page.text


def test_the_roster_adds_changes_and_cancels_shifts_in_city_time(
    app_client: TestClient, db: Session, city: City
):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    zone = make_duty_zone(db, city, name="Panfilov")
    builders.login(app_client, lead.username)
    app_client.headers["accept-language"] = "en"
    token = form_token(app_client, "/ops/roster")
    shift_form = {
        "csrf_token": token,
        "user_id": str(scout.id),
        "starts_at": tomorrow(22),
        "ends_at": tomorrow(23, 30),
        "zone_ids": [str(zone.id)],
        "city_event_id": "",
        "note": "night patrol",
    }
    added = app_client.post("/ops/roster", data=shift_form, follow_redirects=False)
    assert added.status_code == 303, added.text
    shift = db.scalars(select(Shift).where(Shift.user_id == scout.id)).one()
    assert shift.starts_at == datetime.fromisoformat(tomorrow(22)).replace(tzinfo=ALMATY)
    assert shift.starts_at.astimezone(ZoneInfo("UTC")).hour == 17  # Almaty is UTC+5
    day_page = app_client.get(added.headers["location"])
    assert "22:00–23:30" in day_page.text and "Panfilov" in day_page.text

    backwards = app_client.post(
        "/ops/roster", data={**shift_form, "starts_at": tomorrow(23), "ends_at": tomorrow(7)}
    )
    assert backwards.status_code == 422
    assert 'data-testid="error-ends_at"' in backwards.text and roster.ENDS_BEFORE_START in (
        backwards.text
    )
    unreadable = app_client.post("/ops/roster", data={**shift_form, "starts_at": "tonight"})
    assert unreadable.status_code == 422 and forms.BAD_TIME in unreadable.text
    assert 'value="tonight"' in unreadable.text

    editing = app_client.get(f"/ops/roster?edit={shift.id}")
    assert f'action="/ops/roster/{shift.id}"' in editing.text
    assert f'value="{tomorrow(22)}"' in editing.text
    changed = app_client.post(
        f"/ops/roster/{shift.id}",
        data={**shift_form, "starts_at": tomorrow(20), "zone_ids": []},
        follow_redirects=False,
    )
    assert changed.status_code == 303 and shift.zone_ids == []
    assert shift.starts_at == datetime.fromisoformat(tomorrow(20)).replace(tzinfo=ALMATY)
    refused = app_client.post(
        f"/ops/roster/{shift.id}", data={**shift_form, "ends_at": tomorrow(19)}
    )
    assert refused.status_code == 422 and shift.ends_at.astimezone(ALMATY).hour == 23

    no_token = app_client.post(f"/ops/roster/{shift.id}/cancel", data={})
    assert no_token.status_code == 403 and shift.cancelled_at is None
    cancelled = app_client.post(
        f"/ops/roster/{shift.id}/cancel", data={"csrf_token": token}, follow_redirects=False
    )
    assert cancelled.status_code == 303 and shift.cancelled_at is not None
    assert 'data-cancelled="true"' in app_client.get(cancelled.headers["location"]).text


@pytest.mark.parametrize("role", [Role.scout, Role.company_rep])
def test_scouts_and_company_reps_cannot_edit_staff_or_shifts(
    app_client: TestClient, db: Session, city: City, role: Role
):
    scout = make_staff(db, city)
    shift = make_shift(db, city, scout, checked_in=False)
    team = staff.create_team(db, scope=admin_scope(city), name="Centre")
    caller = make_staff(db, city, role, company_slug="jet" if role is Role.company_rep else None)
    builders.login(app_client, caller.username)
    token = form_token(app_client, "/account")
    html = {"accept": "text/html"}
    assert app_client.get("/ops/staff", headers=html).status_code == 403
    a_shift = {"user_id": str(scout.id), "starts_at": tomorrow(9), "ends_at": tomorrow(10)}
    posts = [
        ("/ops/staff/teams", {"name": "Rogue"}),
        (f"/ops/staff/teams/{team.id}", {"name": "Rogue"}),
        (f"/ops/staff/people/{scout.id}", {"travel_mode": "car"}),
        ("/ops/roster", a_shift),
        (f"/ops/roster/{shift.id}", a_shift),
        (f"/ops/roster/{shift.id}/cancel", {}),
    ]
    for path, data in posts:
        answer = app_client.post(path, data={"csrf_token": token, **data}, headers=html)
        assert answer.status_code == 403, path
    roster_page = app_client.get("/ops/roster", headers=html)
    if role is Role.scout:
        assert roster_page.status_code == 200 and 'data-testid="shift-form"' not in roster_page.text
    else:
        assert roster_page.status_code == 403
    assert shift.cancelled_at is None and team.name == "Centre"
    assert db.scalars(select(Shift).where(Shift.user_id == scout.id)).all() == [shift]


def test_an_event_page_shows_its_staff_and_links_to_a_prefilled_roster(
    app_client: TestClient, db: Session, city: City
):
    lead, scout = make_staff(db, city, Role.supervisor), make_staff(db, city)
    near = make_duty_zone(db, city, name="Stadium duty", lon=STADIUM[0], lat=STADIUM[1])
    make_duty_zone(db, city, name="Far away", lon=77.05, lat=43.16)
    kickoff = datetime.now(ALMATY).replace(hour=19, minute=0, second=0, microsecond=0)
    kickoff += timedelta(days=2)
    data = CityEventCreate(
        name="Kairat – Ordabasy",
        venue_name="Central Stadium",
        venue_lon=STADIUM[0],
        venue_lat=STADIUM[1],
        starts_at=kickoff,
        ends_at=kickoff + timedelta(hours=2),
        margin_before_min=90,
        template=False,
    )
    event = events_service.create(db, scope=admin_scope(city), data=data)
    builders.login(app_client, lead.username)
    app_client.headers["accept-language"] = "en"
    page = app_client.get(f"/events/{event.id}")
    assert 'data-testid="event-duty"' in page.text and "Stadium duty" in page.text
    link = page.text.split('data-testid="event-staff-link"', 1)[0].rsplit('href="', 1)[1]
    link = link.split('"', 1)[0].replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query == {
        "event_id": [str(event.id)],
        "starts_at": [(kickoff - timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M")],
        "ends_at": [(kickoff + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")],
        "zone_ids": [str(near.id)],
    }
    prefilled = app_client.get(link)
    assert "Event duty: Kairat – Ordabasy" in prefilled.text
    assert f'value="{near.id}" checked' in prefilled.text
    assert f'<option value="{event.id}" selected>' in prefilled.text
    token = prefilled.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    staffed = app_client.post(
        "/ops/roster",
        data={
            "csrf_token": token,
            "user_id": str(scout.id),
            "starts_at": query["starts_at"][0],
            "ends_at": query["ends_at"][0],
            "zone_ids": query["zone_ids"],
            "city_event_id": str(event.id),
        },
        follow_redirects=False,
    )
    assert staffed.status_code == 303, staffed.text
    again = app_client.get(f"/events/{event.id}")
    assert 'data-testid="event-staff-row"' in again.text and scout.username in again.text
    rep = make_staff(db, city, Role.company_rep, company_slug="jet")
    builders.login(app_client, rep.username)
    assert 'data-testid="event-duty"' not in app_client.get(f"/events/{event.id}").text


def _catalogue(locale: str) -> dict[str, str]:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        po = read_po(fh, locale=locale)
    return {str(m.id): m.string for m in po if m.id and isinstance(m.string, str)}


def _template_texts(folder: str) -> list[tuple[Path, str]]:
    found = []
    for path in sorted((TEMPLATES_DIR / folder).rglob("*.html")):
        with path.open("rb") as fh:
            options = {"extensions": "jinja2.ext.i18n"}
            for _line, _func, message, _notes in babel_extract(fh, ("_",), [], options):
                texts = message if isinstance(message, tuple) else (message,)
                found += [(path, text) for text in texts if text]
    return found


@pytest.mark.parametrize("locale", ["ru", "kk"])
def test_the_ops_pages_and_their_refusals_are_translated(locale: str):
    translations = _catalogue(locale)
    sentences = [*roster.MESSAGES, *staff.MESSAGES, *forms.MESSAGES]
    texts = [("messages", s) for s in sentences]
    texts += [(p.name, t) for folder in ("ops", "scout") for p, t in _template_texts(folder)]
    missing = [f"{where}: {text!r}" for where, text in texts if not translations.get(text)]
    assert missing == []
