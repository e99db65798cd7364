"""The operator's report for one month from a store holding three months at Almaty's scale.

A scratch database per backend holds May–July 2026: the daily trip rollups for ≈9 M trips
(≈100,000 a day over three companies), 1.2 M work logs (tasks, logs, per-company counts) by 50
scouts, ≈4,600 shifts, ≈200 complaints and ≈800 handovers. We time ``report.build`` for June
(every section, the scorecard's too) and each section on its own, once June is over.

The report reads the trips only through the daily rollups; the raw trip rows (``trip``) are not
loaded here because no report query touches them (their size does not change its plans).
"""

from __future__ import annotations

import gc
import statistics as stats
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.complaints.models import Complaint, ComplaintCompany
from tartip.damage.models import DamageCase, Handover
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.ops.models import Shift, WorkLog
from tartip.reports import report, report_period, report_work
from tests import builders
from tests.bench.test_scorecard import Loader
from tests.conftest import create_pg_database, drop_pg_database

pytestmark = pytest.mark.bench

SECTION = "The operator's report (one month of three at Almaty's scale)"
TARGET_MS = 5000.0
START = datetime(2026, 4, 30, 19, tzinfo=UTC)  # 1 May 2026 in Almaty
DAYS = 92  # May, June, July
NOW = START + timedelta(days=DAYS + 2)
WORK_LOGS = 1_200_000
SCOUTS = 50
RNG = np.random.default_rng(11)


def median_ms(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return stats.median(times)


def load(
    db: Session, loader: Loader, city_id: int, companies: list[int], scouts: list[int]
) -> None:
    """Three months of rollups, work logs, shifts, complaints and handovers."""
    # 3 companies × 24 hours × 20 district pairs × 23 trips ≈ 33,000 trips per company a day.
    rows = [
        (city_id, c, (START + timedelta(days=d, hours=6)).date().isoformat(), h, sd, ed, 23,
         23 * 600, 23 * 1500)
        for d in range(DAYS) for c in companies for h in range(24) for sd in range(1, 5)
        for ed in range(1, 6)
    ]  # fmt: skip
    columns = ("city_id", "company_id", "local_date", "hour", "start_district", "end_district",
               "trips", "duration_s", "distance_m")  # fmt: skip
    loader.load("trip_rollup", columns, rows)
    db.commit()
    n = WORK_LOGS
    finished = loader.times(np.sort(RNG.uniform(START.timestamp(), NOW.timestamp() - 2 * 86400, n)))
    scout = RNG.choice(scouts, size=n).tolist()
    loader.load("ops_task", ("id", "city_id", "kind", "origin", "state", "title", "notes",
                             "priority", "lon", "lat", "company_ids", "vehicles", "pinned",
                             "explanation", "outcome_reason", "created_by", "updated_at",
                             "created_at"),
                ((i + 1, city_id, "tidy_cluster", "manual", "done", "", "", 3, 76.9, 43.25, "[]",
                  "[]", loader.flag(False), "", "", "", finished[i], finished[i])
                 for i in range(n)))  # fmt: skip
    loader.load("ops_work_log", ("id", "city_id", "task_id", "scout_id", "finished_at",
                                 "recorded_at", "total", "notes", "suggested"),
                ((i + 1, city_id, i + 1, scout[i], finished[i], finished[i], 3, "", "{}")
                 for i in range(n)))  # fmt: skip
    loader.load("ops_work_log_count", ("city_id", "work_log_id", "company_id", "count"),
                ((city_id, i + 1, companies[i % 3], 3) for i in range(n)))  # fmt: skip
    db.commit()
    for d in range(DAYS):
        for s in scouts:
            begins = START + timedelta(days=d, hours=9)
            db.add(Shift(city_id=city_id, user_id=s, starts_at=begins,
                         ends_at=begins + timedelta(hours=8), checked_in_at=begins,
                         checked_out_at=begins + timedelta(hours=8)))  # fmt: skip
    for i in range(800):
        handed = START + timedelta(hours=2.7 * i)
        case_row = DamageCase(city_id=city_id, company_id=companies[i % 3], vehicle_code=f"c{i}",
                              key=f"{i}", kinds=["broken"], first_reported_at=handed,
                              last_reported_at=handed, report_count=1)  # fmt: skip
        db.add(case_row)
        db.flush()
        collected = handed + timedelta(hours=float(RNG.uniform(1, 40))) if i % 7 else None
        db.add(Handover(city_id=city_id, case_id=case_row.id, company_id=companies[i % 3],
                        reference=f"H-{i}", handed_over_at=handed,
                        due_at=handed + timedelta(hours=24), collected_at=collected))  # fmt: skip
    for i in range(200):
        received = START + timedelta(hours=11 * i)
        complaint = Complaint(city_id=city_id, reference=f"C-{i}",
                              source=("citizen", "government", "police")[i % 3],
                              category="badly_parked", lon=76.9, lat=43.25, occurred_at=received,
                              received_at=received, due_at=received + timedelta(days=1),
                              )  # fmt: skip
        db.add(complaint)
        db.flush()
        db.add(ComplaintCompany(city_id=city_id, complaint_id=complaint.id,
                                company_id=companies[i % 3], origin="live", state="confirmed",
                                ))  # fmt: skip
    db.commit()


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path, worker_tag: str) -> Iterator[Session]:
    """A scratch database of this backend holding the three months (committed and analysed)."""
    name = f"tartip_bench_report_{worker_tag}"
    url = (
        f"sqlite:///{tmp_path / 'report.db'}"
        if request.param == "sqlite"
        else create_pg_database(name)
    )
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            city = cities_service.seed_almaty(db)
            companies = [c.id for c in cities_service.list_companies(db, city_id=city.id)]
            scouts = [
                builders.make_user(db, city, username=f"scout-{i}", role=Role.scout).id
                for i in range(SCOUTS)
            ]
            db.commit()
            started = time.perf_counter()
            load(db, Loader(db, request.param), city.id, companies, scouts)
            db.execute(text("ANALYZE"))
            db.commit()
            db.info["backend"] = request.param
            db.info["load_s"] = time.perf_counter() - started
            yield db
    finally:
        engine.dispose()
        if request.param == "postgis":
            drop_pg_database(name)


def test_a_months_report(
    store: Session, record: Callable[[str, list[tuple[str, float, str]]], None]
) -> None:
    db = store
    backend = db.info["backend"]
    city = cities_service.get_by_slug_or_raise(db, slug="almaty")
    assert (db.scalar(select(func.count()).select_from(WorkLog)) or 0) == WORK_LOGS
    scope = Scope(user_id=None, username="bench", role=Role.supervisor, city_id=city.id)
    june = report_period.parse(timezone=city.timezone, now=NOW, period="month", at="2026-06")
    gc.collect()
    got = report.build(db, scope=scope, period=june, now=NOW)
    # Every work log is 3 vehicles; June holds about 30/90 of them.
    total = got.figure("put_in_order.total").value or 0
    assert total % 3 == 0 and 0.3 * 3 * WORK_LOGS < total < 0.36 * 3 * WORK_LOGS
    assert got.figure("trips.total").value == 30 * 3 * 24 * 20 * 23
    assert got.figure("staff.shifts_worked").value == 30 * SCOUTS
    whole_ms = median_ms(lambda: report.build(db, scope=scope, period=june, now=NOW), 3)
    parts = {
        "put in order (by day × company, zone, scout)": lambda: report_work.put_in_order(
            db, scope=scope, period=june),
        "complaints": lambda: report.complaints(db, scope=scope, period=june, now=NOW),
        "damage": lambda: report.damage(db, scope=scope, period=june),
        "staff, duty zones, events": lambda: report_work.staff_and_zones(
            db, scope=scope, period=june),
        "trips (rollups)": lambda: report.trips(db, scope=scope, period=june),
        "scorecard": lambda: report.scorecard(db, scope=scope, period=june, now=NOW),
    }  # fmt: skip
    rows = [(f"{backend}: {what}", median_ms(fn, 1), "one build") for what, fn in parts.items()]
    verdict = "met" if whole_ms < TARGET_MS else "MISSED"
    record(
        SECTION,
        [
            (f"{backend}: the whole report for June", whole_ms,
             f"target < {TARGET_MS:.0f} ms: {verdict}; median of 3; "
             f"loaded in {db.info['load_s']:.0f} s"),
            *rows,
        ],
    )  # fmt: skip
    assert whole_ms < TARGET_MS
