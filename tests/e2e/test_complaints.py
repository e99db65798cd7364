"""A citizen files a complaint from a phone-sized browser with the phone's location and a photo,
gets a reference number and sees the status; the complaint is matched to the Jet scooter standing
there, a supervisor sends it to a scout, the scout finishes the task, and the citizen's status
page shows the answer."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.core.jobs import REGISTRY, JobContext
from tartip.db.engine import make_engine
from tartip.feeds.models import Feed
from tartip.settings import Settings
from tests import builders
from tests.builders import PASSWORD
from tests.e2e.conftest import CENTRE, SUPERVISOR, Server
from tests.e2e.pages.complaint_pages import ComplaintDetail, ComplaintForm, StatusPage
from tests.e2e.pages.login_page import LoginPage
from tests.ops.helpers import jpeg_with_gps

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SCOUT = "e2e-complaint-scout"
PHONE = {"width": 390, "height": 844}
# The citizen stands by a Jet scooter a few metres from the city centre.
PLACE = (CENTRE[0] + 0.0001, CENTRE[1] + 0.0001)
SEEDED: dict[str, str] = {}


def seed_more(db: Session, city: City) -> None:
    """A scout, and a Jet scooter standing at the place the citizen reports."""
    builders.make_user(db, city, username=SCOUT, role=Role.scout)
    jet = builders.company(db, city, "jet")
    feed = db.scalars(select(Feed).where(Feed.company_id == jet.id)).first()
    assert feed is not None
    builders.make_vehicle(db, feed, vehicle_id="JET-ON-THE-PAVEMENT", lon=PLACE[0], lat=PLACE[1])
    # The server of this backend runs on this database; the test runs a job against it.
    SEEDED["url"] = db.get_bind().engine.url.render_as_string(hide_password=False)


def api(server: Server, username: str) -> httpx.Client:
    """An API client with a new token of ``username`` (made through the account page)."""
    with httpx.Client(base_url=server.base_url, timeout=10) as browser_like:
        login = browser_like.get("/login")
        token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        browser_like.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        account = browser_like.get("/account").text
        csrf = account.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        made = browser_like.post(
            "/api/v1/me/tokens", json={"name": "e2e"}, headers={"X-CSRF-Token": csrf}
        )
    assert made.status_code == 201, made.text
    return httpx.Client(
        base_url=server.base_url, timeout=10,
        headers={"Authorization": f"Bearer {made.json()['token']}"},
    )  # fmt: skip


def run_job(server_db_url: str, name: str) -> None:
    """Run one registered job once, as the worker would, against the server's database."""
    engine = make_engine(server_db_url)
    try:
        with Session(engine) as db:
            city = db.scalars(select(City)).one()
            REGISTRY[name].run(JobContext(settings=Settings(env="test"), http=None), db, city)
            db.commit()
    finally:
        engine.dispose()


def test_a_citizen_files_from_a_phone_and_sees_the_answer(
    browser: Browser, server: Server, tmp_path: Path
):
    phone = browser.new_context(
        base_url=server.base_url, viewport=PHONE, locale="ru-RU", is_mobile=True,
        has_touch=True, geolocation={"latitude": PLACE[1], "longitude": PLACE[0]},
        permissions=["geolocation"],
    )  # fmt: skip
    phone.set_default_timeout(10_000)
    photo = tmp_path / "scooter.jpg"
    photo.write_bytes(jpeg_with_gps(320, 240))
    page = phone.new_page()
    form = ComplaintForm(page).open()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Sent without a category or a place: the error keeps what was typed.
    form.describe("Самокат лежит поперёк тротуара у входа в метро")
    form.send()
    expect(form.field_error("category")).to_be_visible()
    expect(page.get_by_test_id("description")).to_have_value(
        "Самокат лежит поперёк тротуара у входа в метро"
    )
    form.category("blocking_passage")
    form.use_my_location()
    form.attach(photo)
    form.contact("citizen@example.kz", consent=True)
    form.send()
    status = StatusPage(page)
    expect(status.thanks).to_be_visible()
    expect(status.reference).to_have_text(re.compile(r"^ALA-\d{6}-\d{4}$"))
    expect(status.status).to_have_attribute("data-status", "received")
    reference = status.reference.inner_text()
    assert page.url.endswith(f"/complaints/status/{reference}?new=1")
    assert "citizen@example.kz" not in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the status page must fit a phone's width"

    # The supervisor finds the Jet scooter on it and sends it to a scout.
    desk = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 800})
    desk.set_default_timeout(10_000)
    staff = desk.new_page()
    LoginPage(staff).open().sign_in(SUPERVISOR)
    detail = ComplaintDetail(staff).open(reference)
    expect(detail.vehicle("JET-ON-THE-PAVEMENT")).to_be_visible()
    expect(detail.company("jet")).to_be_visible()
    expect(staff.get_by_test_id("contact-email")).to_have_text("citizen@example.kz")
    expect(staff.get_by_test_id("photo")).to_be_visible()
    detail.send_to_scout()
    task_id = int(staff.get_by_test_id("task-id").inner_text().lstrip("#"))
    desk.close()

    # The scout works the task through the API their phone app uses.
    with api(server, SUPERVISOR) as lead, api(server, SCOUT) as scout:
        me = scout.get("/api/v1/me").json()
        assigned = lead.post(f"/api/v1/ops/tasks/{task_id}/assign", json={"scout_id": me["id"]})
        assert assigned.is_success, assigned.text
        assert scout.post(f"/api/v1/ops/tasks/{task_id}/start").is_success
        done = scout.post(
            f"/api/v1/ops/tasks/{task_id}/finish",
            json={"counts": [{"company": "jet", "count": 1}], "notes": "Поставил на парковку"},
        )
        assert done.is_success, done.text
    run_job(SEEDED["url"], "complaints.follow_tasks")

    page.goto(f"/complaints/status/{reference}")
    expect(status.status).to_have_attribute("data-status", "resolved")
    expect(status.answer).to_contain_text("Поставил на парковку")
    phone.close()
