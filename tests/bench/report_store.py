"""The report benchmark's store: three months of Almaty at the issue's scale, built once and kept.

May–July 2026 of one city (the seeded Almaty, three companies, 8 districts): ≈100,000 trips a day
in ``trip`` (≈9.2 M) and their daily rollups counted from the same trips, 1.2 M work logs by 50
scouts (tasks, logs, per-company counts), a shift a day per scout, ≈1,600 violations a day, every
feed's vehicle file pulled every 10 s and its discovery file every minute (≈2.8 M pulls), ≈200
complaints and ≈800 handovers. MDS events are not loaded: the report reads them only through the
scorecard's sample windows, whose cost the scorecard benchmark measures at a month's scale.

Building it takes minutes (COPY on PostgreSQL, executemany on SQLite), so a built store is kept
and reused by the next run: a SQLite file under ``$TMPDIR/tartip-bench`` and a PostgreSQL
database, both named by a key that holds ``VERSION`` (bump it when the data below changes), the
migration head (a schema change rebuilds) and the scale. A store is built under a temporary name
and renamed only when complete, so an interrupted build is never taken for a store; stores of
other keys are removed when a new one is built. The benchmark only reads the store.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities import districts
from tartip.cities import service as cities_service
from tartip.complaints.models import Complaint, ComplaintCompany
from tartip.damage.models import DamageCase, Handover
from tartip.db import migrate
from tartip.db.engine import make_engine
from tartip.feeds import pull_slots
from tartip.feeds.models import Feed
from tests import builders
from tests.bench.test_scorecard import Loader
from tests.conftest import PG_ADMIN_DSN, create_pg_database, pg_url

VERSION = 1
START = datetime(2026, 4, 30, 19, tzinfo=UTC)  # 1 May 2026, 00:00 in Almaty (UTC+5)
UTC_OFFSET_S = 5 * 3600
CACHE_DIR = Path(tempfile.gettempdir()) / "tartip-bench"
PG_PREFIX = "tartip_bench_kept_report_"
# Riding by local hour: quiet nights, a morning peak, the evening the busiest.
HOURLY = np.array(
    [1, 0.6, 0.3, 0.2, 0.2, 0.4, 1.5, 3.5, 5, 4.5, 4, 4.5, 5, 5, 5, 5.5, 6.5, 8, 9, 8.5, 7, 5, 3, 2]
)
TRIP_COLUMNS = (
    "city_id", "company_id", "trip_id", "device_id", "vehicle_type", "source", "start_time",
    "end_time", "duration_s", "distance_m", "start_lon", "start_lat", "end_lon", "end_lat",
    "start_district", "end_district", "received_at",
)  # fmt: skip
ROLLUP_COLUMNS = (
    "city_id", "company_id", "local_date", "hour", "start_district", "end_district", "trips",
    "duration_s", "distance_m",
)  # fmt: skip


@dataclass(frozen=True)
class Scale:
    """How much the store holds; the defaults are the issue's (Almaty, three months)."""

    days: int = 92  # May, June, July
    trips_per_day: int = 100_000
    fleet: int = 7_500  # per company
    work_logs: int = 1_200_000
    scouts: int = 50
    violations_per_day: int = 1_500
    pull_every_s: int = 10
    complaints: int = 200
    handovers: int = 800

    @property
    def now(self) -> datetime:
        """The moment the benchmark reads the store at: two days after its last day."""
        return START + timedelta(days=self.days + 2)

    def tag(self) -> str:
        """The scale's part of a store's name."""
        return f"{self.days}d{self.trips_per_day}t{self.work_logs}w"


@dataclass(frozen=True)
class Store:
    """A built store: its URL, and how long it took to build (seconds, when it was built)."""

    url: str
    built_s: float
    reused: bool


def head_revision() -> str:
    """The migration head: a store built for another schema is not reused."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return str(script.get_current_head())


def store_key(scale: Scale) -> str:
    """The name of the store of this version, schema and scale."""
    return f"v{VERSION}_{head_revision()}_{scale.tag()}"


def open_store(backend: str, scale: Scale | None = None) -> Store:
    """The store of ``backend`` (``sqlite`` or ``postgis``), built first when there is none."""
    chosen = scale or Scale()
    key = store_key(chosen)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    meta = CACHE_DIR / f"report-{key}-{backend}.json"
    if backend == "sqlite":
        path = CACHE_DIR / f"report-{key}.db"
        url = f"sqlite:///{path}"
        if path.exists() and meta.exists():
            return Store(url, float(json.loads(meta.read_text())["built_s"]), reused=True)
        for old in [*CACHE_DIR.glob("report-*.db*"), *CACHE_DIR.glob("report-*-sqlite.json")]:
            old.unlink()
        building = path.with_suffix(".building")
        built_s = build(f"sqlite:///{building}", backend, chosen)
        building.rename(path)
    else:
        name = PG_PREFIX + key
        url = pg_url(name)
        if _pg_exists(name) and meta.exists():
            return Store(url, float(json.loads(meta.read_text())["built_s"]), reused=True)
        _drop_pg_stores()
        for old in CACHE_DIR.glob("report-*-postgis.json"):
            old.unlink()
        built_s = build(create_pg_database(name + "_building"), backend, chosen)
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}_building" RENAME TO "{name}"')
    meta.write_text(json.dumps({"built_s": built_s}))
    return Store(url, built_s, reused=False)


def _pg_exists(name: str) -> bool:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def _drop_pg_stores() -> None:
    """Drop the stores of other keys (and any half-built one): one store per backend is kept."""
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        names = [
            str(r[0])
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (PG_PREFIX + "%",)
            )
        ]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build(url: str, backend: str, scale: Scale) -> float:
    """Migrate ``url`` and fill it; return the seconds it took."""
    started = time.perf_counter()
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            if backend == "sqlite":
                # A scratch file: a large page cache makes the index inserts of 9 M rows cheap.
                db.execute(text("PRAGMA cache_size = -1000000"))
            city = cities_service.seed_almaty(db)
            companies = [c.id for c in cities_service.list_companies(db, city_id=city.id)]
            district_ids = [d.id for d in districts.list_districts(db, city_id=city.id)]
            scouts = [
                builders.make_user(db, city, username=f"scout-{i}", role=Role.scout).id
                for i in range(scale.scouts)
            ]
            for c in cities_service.list_companies(db, city_id=city.id):
                db.add(Feed(city_id=city.id, company_id=c.id, url=f"https://x/{c.slug}/gbfs.json"))
            db.commit()
            feeds = [int(f) for f in db.scalars(select(Feed.id).where(Feed.city_id == city.id))]
            loader = Loader(db, backend)
            rng = np.random.default_rng(11)
            load_trips(loader, rng, scale, city.id, companies, district_ids)
            db.commit()
            load_work(loader, rng, scale, city.id, companies, scouts)
            db.commit()
            load_violations(loader, rng, scale, city.id, companies)
            db.commit()
            load_pulls(loader, rng, scale, city.id, feeds)
            # Summed into their slots, as storing each pull does (a bulk load skips that).
            pull_slots.rebuild(db)
            db.commit()
            load_cases(db, rng, scale, city.id, companies)
            db.commit()
        # Statistics for the planner, and on PostgreSQL the visibility map (index-only scans).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE" if backend == "sqlite" else "VACUUM ANALYZE"))
    finally:
        engine.dispose()
    return time.perf_counter() - started


def _day_starts(rng: np.random.Generator, day: int, n: int) -> np.ndarray:
    """``n`` sorted moments (POSIX seconds) of local day ``day``, busier in the evening."""
    hour = rng.choice(24, size=n, p=HOURLY / HOURLY.sum())
    return np.sort(START.timestamp() + day * 86400 + hour * 3600 + rng.uniform(0, 3600, n))


def _bulk(
    loader: Loader, table: str, columns: Sequence[str], data: Sequence[Iterable[Any]]
) -> None:
    """Column lists into ``table``: COPY text blocks built column-wise on PostgreSQL (per-value
    formatting of 9 M rows would cost minutes), executemany on SQLite."""
    if not loader.pg:
        loader.load(table, tuple(columns), zip(*data, strict=True))
        return
    cells = [[str(v) for v in col] for col in data]
    raw = loader.db.connection().connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as c,
    ):
        c.write("\n".join(map("\t".join, zip(*cells, strict=True))) + "\n")


def load_trips(
    loader: Loader,
    rng: np.random.Generator,
    scale: Scale,
    city_id: int,
    companies: list[int],
    district_ids: list[int],
) -> None:
    """Every day's trips, and the day's rollup rows counted from those very trips."""
    n = scale.trips_per_day
    district = np.array(district_ids)
    for day in range(scale.days):
        starts = _day_starts(rng, day, n)
        distance = np.clip(rng.lognormal(np.log(1800), 0.6, n), 100, 25_000).astype(np.int64)
        duration = np.clip(distance / rng.uniform(2.5, 5.0, n), 60, 4 * 3600).astype(np.int64)
        ends = starts + duration
        company = rng.choice(3, size=n, p=[0.4, 0.3, 0.3])
        sd = rng.integers(0, len(district), n)
        ed = rng.integers(0, len(district), n)
        lon = np.round(rng.uniform(76.82, 77.02, n), 6)
        lat = np.round(rng.uniform(43.18, 43.34, n), 6)
        device = rng.integers(0, scale.fleet, n)
        company_ids = np.array(companies)[company].tolist()
        s, e = loader.times(starts), loader.times(ends)
        received = loader.times(ends + 1800)
        _bulk(loader, "trip", TRIP_COLUMNS, (
            itertools.repeat(city_id, n), company_ids,
            [f"00000000-0000-4000-8{day:03d}-{i:012d}" for i in range(n)],
            [f"dev-{c}-{d:05d}" for c, d in zip(company.tolist(), device.tolist(), strict=True)],
            itertools.repeat("scooter", n), itertools.repeat("provider", n), s, e,
            duration.tolist(), distance.tolist(), lon.tolist(), lat.tolist(),
            np.round(lon + 0.01, 6).tolist(), np.round(lat + 0.01, 6).tolist(),
            district[sd].tolist(), district[ed].tolist(), received,
        ))  # fmt: skip
        # The rollup's grain: local hour × company × start district × end district.
        hour = ((starts - START.timestamp() - day * 86400) // 3600).astype(np.int64)
        k = len(district)
        grain = ((company * 24 + hour) * k + sd) * k + ed
        keys, inverse = np.unique(grain, return_inverse=True)
        trips = np.bincount(inverse)
        seconds = np.bincount(inverse, weights=duration).astype(np.int64)
        metres = np.bincount(inverse, weights=distance).astype(np.int64)
        local_date = (START + timedelta(days=day, hours=5)).date().isoformat()
        _bulk(loader, "trip_rollup", ROLLUP_COLUMNS, (
            itertools.repeat(city_id, len(keys)),
            np.array(companies)[keys // (24 * k * k)].tolist(),
            itertools.repeat(local_date, len(keys)), ((keys // (k * k)) % 24).tolist(),
            district[(keys // k) % k].tolist(), district[keys % k].tolist(), trips.tolist(),
            seconds.tolist(), metres.tolist(),
        ))  # fmt: skip


def load_work(
    loader: Loader,
    rng: np.random.Generator,
    scale: Scale,
    city_id: int,
    companies: list[int],
    scouts: list[int],
) -> None:
    """The work logs (a done task, its log, one company's count each) and the scouts' shifts."""
    n = scale.work_logs
    until = START.timestamp() + scale.days * 86400
    finished = loader.times(np.sort(rng.uniform(START.timestamp(), until, n)))
    scout = rng.choice(scouts, size=n).tolist()
    vehicles = rng.integers(1, 6, n).tolist()
    ids = range(1, n + 1)
    loader.load("ops_task", ("id", "city_id", "kind", "origin", "state", "title", "notes",
                             "priority", "lon", "lat", "company_ids", "vehicles", "pinned",
                             "explanation", "outcome_reason", "created_by", "updated_at",
                             "created_at"),
                ((i, city_id, "tidy_cluster", "manual", "done", "", "", 3, 76.9, 43.25, "[]",
                  "[]", loader.flag(False), "", "", "", finished[i - 1], finished[i - 1])
                 for i in ids))  # fmt: skip
    loader.load("ops_work_log", ("id", "city_id", "task_id", "scout_id", "finished_at",
                                 "recorded_at", "total", "notes", "suggested"),
                ((i, city_id, i, scout[i - 1], finished[i - 1], finished[i - 1], vehicles[i - 1],
                  "", "{}") for i in ids))  # fmt: skip
    loader.load("ops_work_log_count", ("city_id", "work_log_id", "company_id", "count"),
                ((city_id, i, companies[i % 3], vehicles[i - 1]) for i in ids))  # fmt: skip
    shift_starts = [
        START.timestamp() + d * 86400 + 9 * 3600 for d in range(scale.days) for _ in scouts
    ]
    begins = loader.times(np.array(shift_starts))
    ends = loader.times(np.array(shift_starts) + 8 * 3600)
    users = [s for _ in range(scale.days) for s in scouts]
    loader.load("ops_shift", ("city_id", "user_id", "starts_at", "ends_at", "zone_ids", "note",
                              "checked_in_at", "checked_out_at", "created_at"),
                ((city_id, u, b, e, "[]", "", b, e, b)
                 for u, b, e in zip(users, begins, ends, strict=True)))  # fmt: skip


def load_violations(
    loader: Loader, rng: np.random.Generator, scale: Scale, city_id: int, companies: list[int]
) -> None:
    """Each day: parking violations of one company, clutters of several, disabled spells."""
    kinds = ["no_parking", "outside_parking", "clutter", "parked_too_long", "no_ride"]
    cols = ("city_id", "kind", "key", "company_id", "count", "max_count", "lon", "lat",
            "vehicles", "evidence", "fingerprint", "opened_at", "last_seen_at", "cleared_at",
            "closed_at")  # fmt: skip
    mixed = json.dumps({"by_company": {"jet": 2, "yandex-go": 3}})
    rows: list[tuple[Any, ...]] = []
    for day in range(scale.days):
        opened = _day_starts(rng, day, scale.violations_per_day + 110)
        cleared = opened + rng.uniform(120, 4 * 3600, len(opened))
        at, gone = loader.times(opened), loader.times(cleared)
        for i in range(len(opened)):
            if i % 15 == 14:  # one in 15: a clutter of several companies' vehicles
                kind, company, evidence = "clutter", None, mixed
            elif i % 150 == 0:
                kind, company, evidence = "disabled_too_long", companies[i % 3], "{}"
            else:
                kind, company, evidence = kinds[i % 5], companies[i % 3], "{}"
            rows.append((city_id, kind, f"v{day}-{i}", company, 3, 3, 76.9, 43.25, "[]",
                         evidence, "", at[i], gone[i], gone[i], gone[i]))  # fmt: skip
    loader.load("violation", cols, rows)


def load_pulls(
    loader: Loader, rng: np.random.Generator, scale: Scale, city_id: int, feeds: list[int]
) -> None:
    """Every feed's vehicle file every ``pull_every_s`` and its discovery file every minute."""
    cols = ("city_id", "feed_id", "file", "url", "started_at", "outcome", "records",
            "records_rejected", "schema_problems", "problems")  # fmt: skip
    first = START.timestamp()
    for feed_id in feeds:
        for file, every in (("vehicle_status", scale.pull_every_s), ("gbfs", 60)):
            moments = np.arange(first, first + scale.days * 86400, every)
            outcome = rng.choice(["ok", "not_modified", "error"], size=len(moments),
                                 p=[0.7, 0.28, 0.02])  # fmt: skip
            # A snapshot holds the fleet less the vehicles on a trip (more in the evening).
            riding = 250 + 250 * np.sin((moments - first) / 86400 * 2 * np.pi) ** 2
            counts = (scale.fleet - riding + rng.normal(0, 20, len(moments))).astype(int).tolist()
            loader.load("feed_pull", cols, (
                (city_id, feed_id, file, f"https://x/{file}", at, o,
                 count if o == "ok" else None, 0, 0, "[]")
                for at, o, count in zip(loader.times(moments), outcome.tolist(), counts,
                                        strict=True)
            ))  # fmt: skip


def load_cases(
    db: Session,
    rng: np.random.Generator,
    scale: Scale,
    city_id: int,
    companies: list[int],
) -> None:
    """Damaged vehicles handed over (most collected) and complaints from every source."""
    span_h = scale.days * 24
    for i in range(scale.handovers):
        handed = START + timedelta(hours=span_h * i / scale.handovers)
        case_row = DamageCase(city_id=city_id, company_id=companies[i % 3], vehicle_code=f"c{i}",
                              key=f"{i}", kinds=["broken"], first_reported_at=handed,
                              last_reported_at=handed, report_count=1)  # fmt: skip
        db.add(case_row)
        db.flush()
        collected = handed + timedelta(hours=float(rng.uniform(1, 40))) if i % 7 else None
        db.add(Handover(city_id=city_id, case_id=case_row.id, company_id=companies[i % 3],
                        reference=f"H-{i}", handed_over_at=handed,
                        due_at=handed + timedelta(hours=24), collected_at=collected))  # fmt: skip
    for i in range(scale.complaints):
        received = START + timedelta(hours=span_h * i / scale.complaints)
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
