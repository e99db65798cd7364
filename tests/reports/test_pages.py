"""The scorecard pages: the city's side by side, the company's own in its portal."""

from __future__ import annotations

import re

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.core.i18n import read_messages
from tartip.reports import present
from tartip.reports import scorecard as sc
from tartip.reports.scorecard import MeasureKey, Missing
from tests import builders
from tests.reports import helpers as h


def sign_in(client: TestClient, db: Session, city: City, role: Role, company: str | None = None):
    name = f"{role.value}-{company or 'city'}"
    builders.make_user(db, city, username=name, role=role, company_slug=company)
    builders.login(client, name)


def cell(html: str, testid: str) -> str:
    """The text of a table cell by its test id, tags removed."""
    found = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>(.*?)</td>', html, re.S)
    assert found, testid
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_the_city_page_shows_every_company_with_formulas(
    app_client: TestClient, db: Session, city: City
):
    jet = builders.company(db, city, "jet")
    feed = builders.make_feed(db, jet)
    h.pull(db, feed, h.at(hours=-1), records=1)  # one vehicle, all month long
    h.pull(db, feed, h.at(hours=1), records=1)
    h.violation(db, city, jet, ViolationKind.no_parking, h.at(days=2))
    sign_in(app_client, db, city, Role.supervisor)
    page = app_client.get("/reports/scorecard", params={"month": h.MONTH})
    assert page.status_code == 200, page.text
    html = page.text
    for slug in ("jet", "whoosh", "yandex-go"):
        assert f'data-testid="scorecard-company-{slug}"' in html
    ru = read_messages("ru")  # the city's language, the page's default
    # One vehicle all month long: 1 violation is 100 per 100 vehicles.
    rate = cell(html, "value-jet-parking_violations-per_100_vehicles")
    assert rate == f"100.0 {ru['per 100 vehicles']}"
    assert cell(html, "value-jet-deployed-average") == f"1 {ru['vehicles']}"
    # Whoosh's feed never answered: "no data", with the reason, never a zero.
    whoosh = cell(html, "value-whoosh-deployed-average")
    assert whoosh == ru[present.MISSING[Missing.no_feed_data]]
    assert ru[present.FIGURES["parking_violations.per_100_vehicles"][1]] in html  # the formula
    assert 'data-testid="nav-scorecard"' in html


def test_the_page_speaks_kazakh(app_client: TestClient, db: Session, city: City):
    sign_in(app_client, db, city, Role.city_viewer)
    form = app_client.get("/reports/scorecard").text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    chosen = app_client.post(
        "/locale",
        data={"locale": "kk", "next": "/reports/scorecard", "csrf_token": token},
        follow_redirects=False,
    )
    assert chosen.status_code in (302, 303), chosen.text
    page = app_client.get("/reports/scorecard", params={"month": h.MONTH})
    assert page.status_code == 200, page.text
    kk = read_messages("kk")
    assert kk["Vehicles on the street vs. fleet cap"] in page.text
    assert kk[present.FIGURES["deployed.average"][1]] in page.text
    assert kk[present.MISSING[Missing.no_feed_data]] in page.text


def test_a_company_is_sent_to_its_own_scorecard(app_client: TestClient, db: Session, city: City):
    sign_in(app_client, db, city, Role.company_rep, "jet")
    moved = app_client.get("/reports/scorecard", params={"month": h.MONTH}, follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/portal/scorecard?month={h.MONTH}"
    page = app_client.get("/portal/scorecard", params={"month": h.MONTH})
    assert page.status_code == 200, page.text
    assert 'data-testid="scorecard-company-jet"' in page.text
    assert "whoosh" not in page.text.lower() and "yandex" not in page.text.lower()
    assert 'data-testid="portal-readonly"' not in page.text
    assert app_client.get("/portal/scorecard", params={"company": "whoosh"}).status_code == 403


def test_a_supervisor_opens_a_companys_scorecard_read_only(
    app_client: TestClient, db: Session, city: City
):
    sign_in(app_client, db, city, Role.supervisor)
    page = app_client.get("/portal/scorecard", params={"company": "whoosh", "month": h.MONTH})
    assert page.status_code == 200, page.text
    assert 'data-testid="portal-readonly"' in page.text
    assert 'data-testid="scorecard-company-whoosh"' in page.text
    assert 'data-testid="scorecard-company-jet"' not in page.text
    assert "company=whoosh" in page.text  # the month links keep the company


def test_field_staff_do_not_see_the_scorecard(app_client: TestClient, db: Session, city: City):
    sign_in(app_client, db, city, Role.scout)
    assert app_client.get("/reports/scorecard").status_code == 403


def test_every_scorecard_text_is_translated():
    for locale in ("ru", "kk"):
        messages = read_messages(locale)
        missing = [t for t in present.all_texts() if not messages.get(t, "").strip()]
        assert missing == [], (locale, missing)
    keys = {f"{m.value}.{f}" for m, f in _figure_keys()}
    assert keys == set(present.FIGURES)
    assert set(present.MEASURE_TITLES) == set(MeasureKey)


def _figure_keys() -> list[tuple[MeasureKey, str]]:
    """Every headline figure's key, from one measure of each kind; checks the inputs' labels."""
    measures = [
        sc.deployed(np.ones(1), np.ones(1), [slice(0, 1)], cap=1),
        sc.rate_measure(MeasureKey.parking_violations, "violations", 0, 1.0),
        sc.disabled_left([], threshold_s=1, start=0, until=1, heard=True),
        sc.damage_collection([], now=0),
        sc.complaints(0, 0),
        sc.feed(sc.FeedInputs(), slots=1, origin=0),
        sc.mds_quality(sc.MdsCounts(), late_after_s=1),
        sc.rate_measure(MeasureKey.put_in_order, "vehicles_put_in_order", 0, 1.0),
    ]
    assert [m.key for m in measures] == list(MeasureKey)
    assert all(i.key in present.INPUTS for m in measures for i in m.inputs)
    return [(m.key, f.key) for m in measures for f in m.figures]
