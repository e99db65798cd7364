"""A supervisor records an incident on the Vision Zero page in a real browser, on both databases,
and sees it on the safety map, in the recent incidents and in the month's count."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tartip.core.clock import utcnow
from tests.e2e.conftest import CENTRE, SUPERVISOR, Server
from tests.e2e.pages.login_page import LoginPage
from tests.e2e.pages.safety_page import SafetyPage

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ALMATY = ZoneInfo("Asia/Almaty")


def test_a_supervisor_records_an_incident_and_sees_it_on_the_map(page: Page, server: Server):
    LoginPage(page).open().sign_in(SUPERVISOR)
    safety = SafetyPage(page).open()
    # Ten minutes ago in city time: the month is the incident's own (it may be a new month).
    when = (utcnow() - timedelta(minutes=10)).astimezone(ALMATY).replace(tzinfo=None)
    month = when.strftime("%Y-%m")
    expect(safety.map).to_have_attribute("data-features", "0")  # nothing recorded yet
    expect(safety.incident_markers).to_have_count(0)
    expect(safety.month_count(month)).to_have_text("0")

    safety.record(
        kind="collision", severity="minor", when=when, lat=CENTRE[1], lon=CENTRE[0],
        company="jet", vehicle="JET-0042", injured=1,
    )  # fmt: skip

    expect(page).to_have_url(f"{server.base_url}/safety")
    expect(safety.incident_markers).to_have_count(1)
    expect(safety.incident_markers.first).to_be_visible()
    expect(safety.month_count(month)).to_have_text("1")
    expect(safety.incidents).to_have_count(1)
    row = safety.incidents.first
    expect(row).to_contain_text("Collision")
    expect(row).to_contain_text("Minor injury")
    expect(row).to_contain_text("JET-0042")
    expect(row).to_contain_text(when.strftime("%Y-%m-%d %H:%M"))  # shown in city time
    # The marker tells what it is when pointed at.
    safety.incident_markers.first.hover()
    expect(page.locator(".leaflet-tooltip")).to_contain_text("collision · minor")
