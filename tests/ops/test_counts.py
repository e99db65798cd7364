"""Scooters put in order, counted per month, day, zone, company and scout in Almaty time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.cities.models import City
from tartip.core.errors import InvalidInput
from tartip.ops import counts
from tartip.ops.enums import TaskState
from tartip.ops.models import WorkLog, WorkLogCount
from tartip.ops.schemas import CountsRead, DayView
from tartip.zones.models import Zone
from tests import builders
from tests.ops.helpers import admin_scope, make_duty_zone, make_staff, make_task, scope_of

TZ = "Asia/Almaty"  # UTC+5 all year


def make_log(
    db: Session,
    city: City,
    *,
    scout: User,
    at: datetime,
    by_company: dict[str, int],
    zone: Zone | None = None,
) -> WorkLog:
    task = make_task(db, city, scout=scout, state=TaskState.done, zone=zone)
    log = WorkLog(
        city_id=city.id,
        task_id=task.id,
        scout_id=scout.id,
        zone_id=zone.id if zone else None,
        finished_at=at,
        total=sum(by_company.values()),
    )
    db.add(log)
    db.flush()
    for slug, n in by_company.items():
        db.add(
            WorkLogCount(
                city_id=city.id,
                work_log_id=log.id,
                company_id=builders.company(db, city, slug).id,
                count=n,
            )
        )
    db.flush()
    return log


@pytest.fixture
def june_july(db: Session, city: City) -> dict[str, object]:
    """Work around midnight of 30 June → 1 July, Almaty time."""
    aigerim, nurlan = make_staff(db, city), make_staff(db, city)
    aigerim.full_name = "Aigerim"
    medeu, arbat = (
        make_duty_zone(db, city, name="Medeu"),
        make_duty_zone(db, city, name="Arbat", lon=76.95),
    )
    # 23:30 on 30 June in Almaty is 18:30 UTC: June.
    make_log(
        db,
        city,
        scout=aigerim,
        at=datetime(2026, 6, 30, 18, 30, tzinfo=UTC),
        by_company={"jet": 5, "whoosh": 2},
        zone=medeu,
    )
    # 00:30 on 1 July in Almaty is 19:30 UTC on 30 June: July.
    make_log(
        db,
        city,
        scout=nurlan,
        at=datetime(2026, 6, 30, 19, 30, tzinfo=UTC),
        by_company={"jet": 3},
        zone=arbat,
    )
    # 04:59 UTC on 1 June is 09:59 in Almaty: June. 18:59 UTC on 31 May is 23:59 May 31: May.
    make_log(
        db,
        city,
        scout=aigerim,
        at=datetime(2026, 6, 1, 4, 59, tzinfo=UTC),
        by_company={"yandex-go": 4},
        zone=medeu,
    )
    make_log(
        db,
        city,
        scout=nurlan,
        at=datetime(2026, 5, 31, 18, 59, tzinfo=UTC),
        by_company={"jet": 100},
    )
    return {"aigerim": aigerim, "nurlan": nurlan, "medeu": medeu, "arbat": arbat}


def table(rows: list[counts.Row]) -> dict[tuple[str, str], int]:
    return {(r.period, r.key): r.count for r in rows}


def test_months_are_counted_in_city_time(db: Session, city: City, june_july):
    rows = counts.counts(
        db,
        scope=admin_scope(city),
        since=date(2026, 6, 1),
        until=date(2026, 8, 1),
        period="month",
        group="company",
        timezone=TZ,
    )
    assert table(rows) == {
        ("2026-06", "jet"): 5,
        ("2026-06", "whoosh"): 2,
        ("2026-06", "yandex-go"): 4,
        ("2026-07", "jet"): 3,
    }


def test_days_zones_and_scouts(db: Session, city: City, june_july):
    scope = admin_scope(city)
    by_day = counts.counts(
        db,
        scope=scope,
        since=date(2026, 6, 30),
        until=date(2026, 7, 2),
        period="day",
        group="company",
        timezone=TZ,
    )
    assert table(by_day) == {
        ("2026-06-30", "jet"): 5,
        ("2026-06-30", "whoosh"): 2,
        ("2026-07-01", "jet"): 3,
    }
    by_zone = counts.counts(
        db,
        scope=scope,
        since=date(2026, 6, 1),
        until=date(2026, 7, 1),
        period="month",
        group="zone",
        timezone=TZ,
    )
    medeu = june_july["medeu"]
    assert table(by_zone) == {("2026-06", str(medeu.id)): 11}
    assert by_zone[0].label == "Medeu"
    by_scout = counts.counts(
        db,
        scope=scope,
        since=date(2026, 5, 1),
        until=date(2026, 8, 1),
        period="month",
        group="scout",
        timezone=TZ,
    )
    aigerim, nurlan = june_july["aigerim"], june_july["nurlan"]
    assert table(by_scout) == {
        ("2026-05", str(nurlan.id)): 100,
        ("2026-06", str(aigerim.id)): 11,
        ("2026-07", str(nurlan.id)): 3,
    }


def test_a_company_rep_counts_only_their_company_and_sees_names_only(
    db: Session, city: City, june_july
):
    rep = make_staff(db, city, Role.company_rep, company_slug="whoosh")
    rows = counts.counts(
        db,
        scope=scope_of(rep),
        since=date(2026, 6, 1),
        until=date(2026, 8, 1),
        period="month",
        group="scout",
        timezone=TZ,
    )
    assert [(r.period, r.key, r.count) for r in rows] == [("2026-06", "Aigerim", 2)]


def test_a_scout_counts_only_their_own_work(db: Session, city: City, june_july):
    rows = counts.counts(
        db,
        scope=scope_of(june_july["nurlan"]),
        since=date(2026, 5, 1),
        until=date(2026, 8, 1),
        period="month",
        group="company",
        timezone=TZ,
    )
    assert sum(r.count for r in rows) == 103


def test_the_day_view(db: Session, city: City, june_july):
    view = counts.day_view(db, scope=admin_scope(city), day=date(2026, 6, 30), timezone=TZ)
    assert (view.total, view.tasks_done) == (7, 1)
    assert [(r.key, r.count) for r in view.by_company] == [("jet", 5), ("whoosh", 2)]


def test_bad_periods_are_refused(db: Session, city: City):
    with pytest.raises(InvalidInput):
        counts.counts(
            db,
            scope=admin_scope(city),
            since=date(2026, 7, 1),
            until=date(2026, 6, 1),
            period="day",
            group="company",
            timezone=TZ,
        )
    with pytest.raises(InvalidInput):
        counts.counts(
            db,
            scope=admin_scope(city),
            since=date(2020, 1, 1),
            until=date(2026, 1, 1),
            period="day",
            group="company",
            timezone=TZ,
        )


def test_counts_over_the_api(app_client: TestClient, db: Session, city: City, june_july):
    viewer = make_staff(db, city, Role.city_viewer)
    headers = {"Authorization": f"Bearer {builders.token_for(db, viewer)}"}
    response = app_client.get(
        "/api/v1/ops/work/counts?since=2026-06-01&until=2026-08-01&period=month&group=company",
        headers=headers,
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/json"
    )
    body = CountsRead.model_validate(response.json())
    assert body.total == 14 and body.timezone == TZ
    day = app_client.get("/api/v1/ops/work/day?day=2026-07-01", headers=headers)
    assert DayView.model_validate(day.json()).total == 3
    tasks = app_client.get("/api/v1/ops/tasks", headers=headers)
    assert tasks.json()["total"] == 0  # city viewers read counts, not tasks
    bad = app_client.get("/api/v1/ops/work/counts?period=week", headers=headers)
    assert bad.status_code == 422
