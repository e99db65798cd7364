"""Thresholds per city, zone kind and zone: precedence, the job, the service and the page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit.models import AuditEntry
from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.compliance import jobs, reading, service, threshold_form
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.compliance.thresholds import DEFAULTS, ThresholdBook, kind_level, zone_level
from tartip.core.errors import InvalidInput
from tartip.zones.enums import ZoneKind
from tests import builders
from tests.compliance.conftest import MINUTE, leave, park, publish_zone, staff_scope
from tests.compliance.synthetic import offset, square

T0 = datetime(2026, 6, 5, 7, 0, tzinfo=UTC)
C = (76.9450, 43.2380)
PAGE = "/compliance/thresholds"


# Precedence, without a database


def test_a_zone_wins_over_its_kind_a_kind_over_the_city_the_city_over_defaults():
    book = ThresholdBook(
        {
            "city": {"min_parked_s": 300, "clutter_count": 8},
            kind_level("duty"): {"min_parked_s": 120, "close_grace_s": 30},
            zone_level(7): {"min_parked_s": 10},
        }
    )
    own = book.for_zone(zone_id=7, kind="duty")
    assert (own.min_parked_s, own.close_grace_s, own.clutter_count) == (10, 30, 8)
    assert own.capacity_tolerance == DEFAULTS.capacity_tolerance
    sibling = book.for_zone(zone_id=8, kind="duty")
    assert (sibling.min_parked_s, sibling.close_grace_s) == (120, 30)
    other_kind = book.for_zone(zone_id=9, kind="slow")
    assert (other_kind.min_parked_s, other_kind.close_grace_s) == (300, DEFAULTS.close_grace_s)
    assert book.for_kind("duty").min_parked_s == 120
    # Values a vehicle carries where it stands: only what the zone or its kind sets.
    assert book.set_in_zone(zone_id=7, kind="duty") == {"min_parked_s": 10.0, "close_grace_s": 30}
    assert book.set_in_zone(zone_id=9, kind="slow") == {}


def test_the_form_reads_units_blanks_caps_and_choices():
    values, problems = threshold_form.parse(
        {
            "min_parked_s": "90",
            "parked_too_long_s": "1,5",
            "clutter_count": "",
            "fleet_caps": "jet=10, whoosh = 2",
            "parking_required": "false",
        }
    )
    assert problems == []
    assert values == {
        "min_parked_s": 90,
        "parked_too_long_s": 5400,
        "fleet_caps": {"jet": 10, "whoosh": 2},
        "parking_required": False,
    }
    _values, problems = threshold_form.parse(
        {"clutter_count": "2.5", "fleet_caps": "jet", "min_parked_s": "soon"}
    )
    assert sorted(p.where for p in problems) == ["clutter_count", "fleet_caps", "min_parked_s"]
    # Out of range and unreadable at once: one answer names both.
    _values, problems = threshold_form.parse({"clutter_count": "0", "fleet_caps": "jet"})
    assert sorted(p.where for p in problems) == ["clutter_count", "fleet_caps"]
    spec = threshold_form.BY_NAME["parked_too_long_s"]
    assert threshold_form.to_text(spec, 72 * 3600.0) == "72"


# Precedence through the service and the evaluation job, on both databases


def open_keys(db: Session, city: City) -> set[str]:
    db.expire_all()
    stmt = select(Violation.key).where(Violation.city_id == city.id, Violation.closed_at.is_(None))
    return set(db.scalars(stmt))


def test_precedence_decides_what_opens(db: Session, city: City, feeds):
    scope = staff_scope(city)
    a_at, b_at = offset(*C, 0, 0), offset(*C, 500, 0)
    a = publish_zone(db, city, ZoneKind.no_parking, square(*a_at, 40), at=T0 - 60 * MINUTE)
    b = publish_zone(db, city, ZoneKind.no_parking, square(*b_at, 40), at=T0 - 60 * MINUTE)
    park(db, feeds["jet"], a_at, since=T0 - 5 * MINUTE)
    park(db, feeds["jet"], b_at, since=T0 - 5 * MINUTE)
    service.set_thresholds(db, scope=scope, level="city", values={"min_parked_s": 60})
    service.set_thresholds(
        db, scope=scope, level=kind_level("no_parking"), values={"min_parked_s": 3600}
    )
    service.set_thresholds(db, scope=scope, level=zone_level(a.id), values={"min_parked_s": 120})
    jobs.evaluate(db, city=city, at=T0)
    # A: its own 2 minutes (over the kind's hour); B: the kind's hour (over the city's minute).
    assert open_keys(db, city) == {f"no_parking:z{a.id}:c{feeds['jet'].company_id}"}
    book = reading.load_thresholds(db, city_id=city.id)
    assert book.for_zone(zone_id=b.id, kind="no_parking").min_parked_s == 3600


def test_each_zone_s_grace_closes_its_violations(db: Session, city: City, feeds):
    scope = staff_scope(city)
    a_at, b_at = offset(*C, 0, 0), offset(*C, 500, 0)
    a = publish_zone(db, city, ZoneKind.no_parking, square(*a_at, 40), at=T0 - 60 * MINUTE)
    publish_zone(db, city, ZoneKind.no_ride, square(*b_at, 40), at=T0 - 60 * MINUTE)
    in_a = park(db, feeds["jet"], a_at, since=T0 - 5 * MINUTE)
    in_b = park(db, feeds["jet"], b_at, since=T0 - 5 * MINUTE)
    service.set_thresholds(db, scope=scope, level=zone_level(a.id), values={"close_grace_s": 0})
    service.set_thresholds(
        db, scope=scope, level=kind_level("no_ride"), values={"close_grace_s": 3600}
    )
    state = jobs.CityState()
    jobs.evaluate(db, city=city, at=T0, state=state)
    assert len(open_keys(db, city)) == 2
    leave(db, in_a)
    leave(db, in_b)
    jobs.evaluate(db, city=city, at=T0 + MINUTE, state=state)  # both start clearing
    jobs.evaluate(db, city=city, at=T0 + 1.5 * MINUTE, state=state)
    # A closed at once (the city's 2 minutes would still hold it open); B carries on.
    assert {k.split(":")[0] for k in open_keys(db, city)} == {ViolationKind.no_ride.value}
    jobs.evaluate(db, city=city, at=T0 + 10 * MINUTE, state=state)
    # B waits for its kind's hour, though the city's 2 minutes have long passed.
    assert {k.split(":")[0] for k in open_keys(db, city)} == {ViolationKind.no_ride.value}


def test_a_level_must_name_a_zone_of_the_city_and_caps_its_companies(db: Session, city: City):
    scope = staff_scope(city)
    with pytest.raises(InvalidInput) as missing:
        service.set_thresholds(db, scope=scope, level="zone:999999", values={})
    assert missing.value.problems[0].where == "path.level"
    with pytest.raises(InvalidInput) as unknown:
        service.set_thresholds(db, scope=scope, level="city", values={"fleet_caps": {"bolt": 3}})
    assert unknown.value.problems[0].where == "fleet_caps.bolt"


# The page


def sign_in(client: TestClient, db: Session, city: City, role: Role) -> None:
    username = f"thr-{role.value}"
    if auth_service.get_by_username(db, username=username) is None:
        company = "jet" if role is Role.company_rep else None
        builders.make_user(db, city, username=username, role=role, company_slug=company)
    builders.login(client, username)


def csrf(text: str) -> str:
    return text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_a_supervisor_sets_city_kind_and_zone_values_on_the_page(
    app_client: TestClient, db: Session, city: City
):
    zone = publish_zone(
        db, city, ZoneKind.duty, square(*C, 100), at=T0, name="Arbat duty", target_load=5
    )
    sign_in(app_client, db, city, Role.supervisor)
    page = app_client.get(PAGE)
    assert page.status_code == 200 and 'data-testid="thresholds-page"' in page.text
    assert 'data-testid="nav-thresholds"' in page.text and 'data-testid="no-overrides"' in page.text
    assert f'value="zone:{zone.id}"' in page.text and "Arbat duty" in page.text
    token = csrf(page.text)
    for level, form in (
        ("city", {"clutter_count": "7", "parked_too_long_s": "48"}),
        ("kind:duty", {"close_grace_s": "600", "parking_required": "true"}),
        (f"zone:{zone.id}", {"clutter_radius_m": "25", "fleet_caps": "jet=3"}),
    ):
        saved = app_client.post(
            PAGE, data={"csrf_token": token, "level": level, **form}, follow_redirects=False
        )
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"].endswith("saved=true")
    book = reading.load_thresholds(db, city_id=city.id)
    assert book.city().parked_too_long_s == 48 * 3600
    mine = book.for_zone(zone_id=zone.id, kind="duty")
    assert (mine.clutter_count, mine.clutter_radius_m, mine.close_grace_s) == (7, 25, 600)
    assert mine.parking_required is True and mine.fleet_caps == {"jet": 3}
    audit = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "compliance_threshold.set")
    ).all()
    assert len(audit) == 3
    shown = app_client.get(PAGE, params={"level": f"zone:{zone.id}", "saved": "true"})
    assert 'data-testid="thresholds-saved"' in shown.text
    assert shown.text.count('data-testid="override-row"') == 3
    assert 'name="clutter_radius_m" value="25"' in shown.text
    # Blank fields show what the zone inherits: its kind's grace.
    assert 'name="close_grace_s" value="" placeholder="600"' in shown.text


def test_a_wrong_value_comes_back_with_its_error_and_saves_nothing(
    app_client: TestClient, db: Session, city: City
):
    sign_in(app_client, db, city, Role.supervisor)
    token = csrf(app_client.get(PAGE).text)
    for form, field in (
        ({"clutter_count": "lots"}, "clutter_count"),
        ({"clutter_radius_m": "0"}, "clutter_radius_m"),
        ({"fleet_caps": "bolt=4"}, "fleet_caps"),
    ):
        refused = app_client.post(PAGE, data={"csrf_token": token, "level": "city", **form})
        assert refused.status_code == 422, form
        assert 'data-testid="thresholds-error"' in refused.text
        assert f'data-testid="field-{field}"' in refused.text
        assert 'data-testid="field-problem"' in refused.text
        (typed,) = form.values()
        assert f'value="{typed}"' in refused.text  # as typed, to correct
    assert reading.load_thresholds(db, city_id=city.id).overrides == {}
    unknown = app_client.post(PAGE, data={"csrf_token": token, "level": "street"})
    assert unknown.status_code == 422
    no_token = app_client.post(PAGE, data={"level": "city", "clutter_count": "3"})
    assert no_token.status_code == 403


def test_a_city_viewer_reads_the_page_but_cannot_change_it(
    app_client: TestClient, db: Session, city: City
):
    service.set_thresholds(db, scope=staff_scope(city), level="city", values={"clutter_count": 9})
    sign_in(app_client, db, city, Role.city_viewer)
    page = app_client.get(PAGE)
    assert page.status_code == 200 and 'data-testid="nav-thresholds"' in page.text
    assert 'data-testid="thresholds-read-only"' in page.text
    assert 'data-testid="thresholds-save"' not in page.text
    refused = app_client.post(
        PAGE, data={"csrf_token": csrf(page.text), "level": "city", "clutter_count": "2"}
    )
    assert refused.status_code == 403
    assert reading.load_thresholds(db, city_id=city.id).city().clutter_count == 9
    assert app_client.get("/api/v1/compliance/thresholds").status_code == 200


@pytest.mark.parametrize("role", [Role.company_rep, Role.scout])
def test_company_reps_and_scouts_may_not_see_thresholds(
    app_client: TestClient, db: Session, city: City, role: Role
):
    sign_in(app_client, db, city, role)
    page = app_client.get(PAGE)
    assert page.status_code == 403
    assert 'data-testid="nav-thresholds"' not in app_client.get("/zones").text
    assert app_client.get("/api/v1/compliance/thresholds").status_code == 403
