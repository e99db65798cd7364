"""The demo's last month: a believable previous calendar month of the operator's work.

A freshly started demo holds minutes of live data, so the report of last month would be empty.
``seed_history`` writes last month (in city time) once per database: extra demo staff and the
month's shifts, two football matches at the Central Stadium, the scouts' work logs (with their
tasks and the violations they cleared), complaints, damaged vehicles handed over, the companies'
trips as daily rollups, and road-safety incidents. The monthly job (``reports.issue_monthly``)
then issues that month's report as it would from real data.

This is **demo history**: made-up rows, the same every time (one seeded generator), written into
the domains' tables with their own models and helpers (reference numbers, due times, answers,
case keys, complaint steps), in bulk where there are thousands. Every row with an author field
names ``HISTORY_BY``. The audit trail is for changes people make, so nothing here is audited.

- **Marker.** The tasks ``HISTORY_BY`` created: a city that has any has its history, and a second
  start writes nothing.
- **Zones.** The demo's zones are published at the first start, so their first versions are dated
  back to the start of the month: the zones the history refers to were in force when it happened.
- **Not written.** Feed pulls (the feeds' fetch log is purged after a week, so the scorecard's
  feed measures say "no data", honestly) and MDS events and trips (the rollups stand for them).
"""

from __future__ import annotations

import logging
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from tartip.audit.service import Actor
from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.cities import districts
from tartip.cities import service as cities_service
from tartip.cities.models import City, Company
from tartip.complaints import due, due_times, matching, messages, reference
from tartip.complaints import service as complaints_service
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import (
    PLACE_FIXABLE,
    ComplaintAction,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    MatchOrigin,
    MatchState,
)
from tartip.complaints.models import (
    Complaint,
    ComplaintComment,
    ComplaintCompany,
    ComplaintTransition,
    ComplaintVehicle,
)
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.clock import utcnow
from tartip.damage import intake
from tartip.damage import service as damage_service
from tartip.damage.demo import DEMO_AGREEMENTS
from tartip.damage.enums import CollectedVia, DamageKind, DamageSource, EventKind, HandoverStatus
from tartip.damage.models import CaseReport, DamageCase, Handover, HandoverEvent
from tartip.db import bulk
from tartip.demo import DEMO_USERS
from tartip.events.models import CityEvent
from tartip.events.service import CENTRAL_STADIUM
from tartip.ops.demo import DEMO_SCOUTS, REAL_SCOUT
from tartip.ops.enums import TaskKind, TaskOrigin, TaskState, TravelMode
from tartip.ops.jobs import WORK
from tartip.ops.models import Shift, StaffProfile, Task, Team, WorkLog, WorkLogCount
from tartip.reports import report_period
from tartip.reports.period import Month
from tartip.reports.report_model import ReportPeriod
from tartip.safety.enums import IncidentKind, IncidentSource, Severity
from tartip.safety.models import Incident
from tartip.trips.statistics_models import (
    OUTSIDE,
    TripCellRollup,
    TripMeasureRollup,
    TripRollup,
    TripZoneRollup,
)
from tartip.trips.statistics_rollup import (
    CELL_LAT,
    CELL_LON,
    DISTANCE_BIN_M,
    DISTANCE_BINS,
    DURATION_BIN_S,
    DURATION_BINS,
)
from tartip.zones import service as zones_service
from tartip.zones.demo import demo_features
from tartip.zones.enums import ZoneKind, ZonePhase
from tartip.zones.models import Zone, ZoneVersion
from tartip.zones.rules import ZoneRule

log = logging.getLogger(__name__)

HISTORY_BY = "demo history"
SEED = 20_251_031
EXTRA_SCOUTS = 36
EXTRA_TECHNICIANS = 2
NIGHT_CREW = 4  # the last extra scouts patrol at night, two a night
METRES_PER_DEGREE = 111_320.0

# How busy each local hour is (trips; complaints, damage and incidents follow the same day).
HOURLY = np.array(
    [0.9, 0.5, 0.3, 0.2, 0.2, 0.4, 1.0, 2.4, 4.0, 4.2, 4.0, 4.4,
     5.0, 5.2, 5.4, 5.8, 6.4, 7.2, 8.0, 8.2, 7.4, 6.0, 4.2, 2.2]
)  # fmt: skip
HOURLY = HOURLY / HOURLY.sum()
WEEKDAY_TRIPS = (0.94, 0.95, 0.97, 0.99, 1.06, 1.14, 1.08)  # Monday … Sunday
TRIPS_PER_DAY = 29_500  # the three companies together, an ordinary day
TRIP_TEMPLATES = 40_000
TRIP_PLACES = 180  # where the month's trips start and end
# What the simulator prints on each company's vehicles (``simulator/scenarios/almaty.py``).
CODE_PREFIX = {"jet": "JT", "yandex-go": "YG", "whoosh": "WH"}

MALE = tuple(
    "Азамат Бауыржан Дамир Ерлан Ержан Қайрат Марат Нұрсұлтан Олжас Руслан Санжар Тимур Ілияс "
    "Арман Данияр Максим Артём Денис".split()
)
FEMALE = tuple("Айгүл Айым Дана Жанар Камила Мадина Сабина Томирис Әсел Дарья Анна Алина".split())
SURNAMES = tuple(
    "Ахметов Бекмуханов Жумабаев Искаков Касымов Нургалиев Оспанов Сагинтаев Тулегенов Утешев "
    "Шарипов Абдрахманов Иванов Сейтказиев Мусин Омаров".split()
)


@dataclass
class _History:
    """What every part of the month reads: the city, the month, the generator and the places."""

    db: Session
    city: City
    period: ReportPeriod
    now: datetime
    rng: random.Random  # single draws
    arrays: np.random.Generator  # draws of many at once (trips, places)
    companies: list[Company]
    weights: list[float]  # each company's share of the city's fleet
    zones: dict[ZoneKind, list[Zone]]
    pools: dict[int, np.ndarray] = field(default_factory=dict)  # points inside each zone

    @property
    def tz(self) -> ZoneInfo:
        """The city's time zone."""
        return ZoneInfo(self.city.timezone)

    def days(self) -> list[date]:
        """The month's local days."""
        return [self.period.first + timedelta(days=i) for i in range(self.period.days)]

    def at(self, day: date, hours: float) -> datetime:
        """``hours`` after the local midnight of ``day``, in UTC, to the second."""
        local = datetime.combine(day, time(), tzinfo=self.tz) + timedelta(hours=hours)
        return local.astimezone(UTC).replace(microsecond=0)

    def moment(self) -> datetime:
        """A moment of the month, busier hours likelier (the city's day)."""
        day = self.days()[self.rng.randrange(self.period.days)]
        hour = _pick(self.rng, HOURLY)
        return self.at(day, hour + self.rng.uniform(0, 1))

    def company(self) -> Company:
        """A company, the bigger fleet likelier."""
        return self.companies[_pick(self.rng, self.weights)]

    def point(self, zone: Zone) -> tuple[float, float]:
        """A place inside ``zone``."""
        pool = self.pools.get(zone.id)
        if pool is None:
            pool = self.pools[zone.id] = _points_in(zone.area, 300, self.arrays)
        lon, lat = pool[self.rng.randrange(len(pool))]
        return round(float(lon), 6), round(float(lat), 6)

    def near(self, zone: Zone, metres: float) -> tuple[float, float]:
        """A place around ``zone``, about ``metres`` from a point inside it."""
        lon, lat = self.point(zone)
        dx, dy = self.rng.gauss(0, metres), self.rng.gauss(0, metres)
        return _moved(lon, lat, float(dx), float(dy))

    def spot(self) -> tuple[float, float]:
        """A place where people complain or crash: in or near a duty zone."""
        zone = self.zones[ZoneKind.duty][self.rng.randrange(len(self.zones[ZoneKind.duty]))]
        return self.point(zone) if self.rng.random() < 0.6 else self.near(zone, 500)


def _pick(rng: random.Random, shares: Any) -> int:
    """An index drawn with probabilities proportional to ``shares``."""
    left = rng.random() * float(sum(shares))
    for i, share in enumerate(shares):
        left -= share
        if left < 0:
            return i
    return len(shares) - 1


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's way: the means here are small)."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _points_in(area: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random points inside ``area`` (rejection sampling in its bounds)."""
    west, south, east, north = area.bounds
    found: list[np.ndarray] = []
    total = 0
    for _ in range(50):
        xs, ys = rng.uniform(west, east, 4 * n), rng.uniform(south, north, 4 * n)
        inside = shapely.contains_xy(area, xs, ys)
        found.append(np.stack([xs[inside], ys[inside]], axis=1))
        total += int(inside.sum())
        if total >= n:
            break
    points = np.concatenate(found)[:n]
    if len(points) == 0:
        centre = area.representative_point()
        return np.array([[centre.x, centre.y]])
    return points


def _moved(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A place ``east_m`` and ``north_m`` metres from (lon, lat)."""
    dlat = north_m / METRES_PER_DEGREE
    dlon = east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lon + dlon, 6), round(lat + dlat, 6)


# --- the entry point -------------------------------------------------------------------------


def seed_history(db: Session, city: City, *, now: datetime | None = None) -> bool:
    """Write last month's demo history for ``city`` once; False when it has it already.

    Run it after ``demo.seed_city``: it uses the demo's zones, people and agreements.
    """
    if _written(db, city):
        return False
    moment = now or utcnow()
    month = Month.containing(moment, city.timezone).previous()
    period = report_period.month_period(month, city.timezone)
    h = _context(db, city, period, moment)
    if not h.zones.get(ZoneKind.duty) or not h.companies:
        log.warning("no demo zones or companies in %s: no history written", city.slug)
        return False
    versions = _zones_in_force(h)
    scouts, technicians = _people(h)
    events = _events(h)
    duties = _roster(h, scouts, technicians, events)
    logs = _work(h, duties)
    complaints = _complaints(h, duties)
    cases = _damage(h, scouts)
    trips = _trips(h, versions)
    incidents = _incidents(h)
    log.info(
        "demo history of %s for %s: %d shifts, %d work logs, %d complaints, %d damaged "
        "vehicles, %d trips, %d incidents",
        month.label, city.slug, len(duties), logs, complaints, cases, trips, incidents,
    )  # fmt: skip
    return True


def _written(db: Session, city: City) -> bool:
    """Whether the city has its demo history (the marker: any task it created)."""
    stmt = select(Task.id).where(Task.city_id == city.id, Task.created_by == HISTORY_BY).limit(1)
    return db.scalar(stmt) is not None


def _context(db: Session, city: City, period: ReportPeriod, now: datetime) -> _History:
    companies = cities_service.list_companies(db, city_id=city.id)
    caps = [
        DEMO_AGREEMENTS[c.slug].fleet_cap if c.slug in DEMO_AGREEMENTS else 5000 for c in companies
    ]
    total = float(sum(caps)) or 1.0
    zones: dict[ZoneKind, list[Zone]] = defaultdict(list)
    stmt = select(Zone).where(Zone.city_id == city.id, Zone.phase == ZonePhase.published)
    for zone in db.scalars(stmt.order_by(Zone.id)):
        if zone.active_until is None:  # an event's temporary zones are not the city's own
            zones[ZoneKind(zone.kind)].append(zone)
    return _History(
        db=db,
        city=city,
        period=period,
        now=now,
        rng=random.Random(SEED),
        arrays=np.random.default_rng(SEED),
        companies=companies,
        weights=[cap / total for cap in caps],
        zones=zones,
    )


def _insert(
    db: Session, model: Any, rows: list[dict[str, Any]], key: tuple[str, ...] = ()
) -> dict[tuple[Any, ...], int]:
    """Insert ``rows`` in bulk; with ``key``, the new rows' ids by those columns' values.

    ``insert_new`` is the fast path on both databases; none of these rows may clash with one
    already there, so a row it skipped is an error, not a duplicate.
    """
    table: Table = model.__table__
    newest = db.scalar(select(func.max(table.c.id))) or 0
    written = bulk.insert_new(db, table, rows)
    if written != len(rows):
        raise RuntimeError(f"{len(rows) - written} {table.name} rows of the history clashed")
    if not key or not rows:
        return {}
    columns = [table.c[k] for k in key]
    stmt = select(table.c.id, *columns).where(table.c.id > newest)
    return {tuple(row[1:]): int(row[0]) for row in db.execute(stmt)}


def _zones_in_force(h: _History) -> list[ZoneVersion]:
    """Date the demo zones' first versions back to the month's start; the versions in force
    for the whole month (what the trips' zone rollups count)."""
    codes = {f["properties"].get("code") for f in demo_features()}
    stmt = (
        select(ZoneVersion, Zone)
        .join(Zone, Zone.id == ZoneVersion.zone_id)
        .where(Zone.city_id == h.city.id, Zone.phase == ZonePhase.published)
    )
    whole_month = []
    for version, zone in h.db.execute(stmt).all():
        if zone.code in codes and version.version == 1 and version.in_force_from > h.period.start:
            version.in_force_from = h.period.start
            if zone.published_at is None or zone.published_at > h.period.start:
                zone.published_at = h.period.start
        ends = version.in_force_until
        if version.in_force_from <= h.period.start and (ends is None or ends >= h.period.end):
            if version.active_from is None and version.active_until is None:
                whole_month.append(version)
    h.db.flush()
    return whole_month


# --- people and shifts -----------------------------------------------------------------------


def _names(rng: random.Random, n: int) -> list[str]:
    """Plausible Almaty names, women's surnames in their feminine form."""
    out = []
    for _ in range(n):
        surname = rng.choice(SURNAMES)
        if rng.random() < 0.4:
            out.append(f"{rng.choice(FEMALE)} {surname}а")
        else:
            out.append(f"{rng.choice(MALE)} {surname}")
    return out


def _people(h: _History) -> tuple[list[User], list[User]]:
    """The month's scouts and technicians: the demo's own and extra demo staff (who never sign
    in: no password)."""
    db, city = h.db, h.city
    own = [s.username for s in DEMO_SCOUTS] + [REAL_SCOUT]
    scouts = [u for u in (auth_service.get_by_username(db, username=n) for n in own) if u]
    technicians = [
        u
        for u in (auth_service.get_by_username(db, username="technician"),)
        if u is not None and u.city_id == city.id
    ]
    scouts = [u for u in scouts if u.city_id == city.id]
    team = db.scalars(select(Team).where(Team.city_id == city.id, Team.name == "Demo")).first()
    names = _names(h.rng, EXTRA_SCOUTS + EXTRA_TECHNICIANS)
    for i, full_name in enumerate(names):
        scout = i < EXTRA_SCOUTS
        number = i + 1 if scout else i - EXTRA_SCOUTS + 1
        username = f"demo-{'scout' if scout else 'technician'}-{number:02d}"
        user = auth_service.get_by_username(db, username=username)
        if user is None:
            user = User(
                username=username, full_name=full_name, password_hash=None,
                role=Role.scout if scout else Role.technician, city_id=city.id, locale="ru",
                created_at=h.period.start - timedelta(days=h.rng.randrange(20, 200)),
            )  # fmt: skip
            db.add(user)
            db.flush()
            mode = TravelMode.e_bike if h.rng.random() < 0.4 else TravelMode.on_foot
            db.add(
                StaffProfile(
                    city_id=city.id, user_id=user.id, team_id=team.id if team else None,
                    travel_mode=TravelMode.car if not scout else mode,
                )
            )  # fmt: skip
        if user.city_id == city.id:
            (scouts if scout else technicians).append(user)
    db.flush()
    return scouts, technicians


@dataclass
class _Duty:
    """A planned shift of the month, and how it went."""

    user_id: int
    starts_at: datetime
    ends_at: datetime
    zone_ids: list[int]
    slot: str  # day, evening, night, event, tech
    event_id: int | None = None
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    cancelled_at: datetime | None = None
    where: tuple[float, float] | None = None


def _events(h: _History) -> list[CityEvent]:
    """Two league matches at the Central Stadium on Saturdays of the month."""
    saturdays = [d for d in h.days() if d.weekday() == 5]
    picks = [saturdays[i] for i in (1, 3) if i < len(saturdays)] or saturdays[:1]
    matches = ("Football: Kairat – Astana", "Football: Kairat – Tobol")
    made = []
    for day, name, kickoff in zip(picks, matches, (19, 17), strict=False):
        starts = h.at(day, kickoff)
        event = CityEvent(
            city_id=h.city.id, name=name,
            description="Kazakhstan Premier League match; about 21,000 spectators.",
            venue_name="Central Stadium", venue_lon=CENTRAL_STADIUM[0],
            venue_lat=CENTRAL_STADIUM[1], starts_at=starts, ends_at=starts + timedelta(hours=2),
            margin_before_min=90, margin_after_min=60, created_at=starts - timedelta(days=12),
        )  # fmt: skip
        h.db.add(event)
        made.append(event)
    h.db.flush()
    return made


def _stadium_zone(h: _History) -> Zone:
    """The duty zone at the Central Stadium (else the duty zone nearest to it)."""
    duty = h.zones[ZoneKind.duty]
    for zone in duty:
        if zone.code == "DUTY-CENTRAL-STADIUM":
            return zone
    venue = shapely.Point(CENTRAL_STADIUM)
    return min(duty, key=lambda z: z.area.distance(venue))


def _zone_sets(zone_ids: list[int], people: int) -> list[list[int]]:
    """The duty zones of each of ``people`` shifts, every zone covered, round robin."""
    if people == 0:
        return []
    sets: list[list[int]] = [[] for _ in range(people)]
    for i, zone_id in enumerate(zone_ids):
        sets[i % people].append(zone_id)
    for j in range(len(zone_ids), people):  # more people than zones: the busiest get two
        sets[j].append(zone_ids[j % len(zone_ids)])
    return sets


SLOTS = {"day": (8, 16), "evening": (15, 23), "night": (23, 31), "tech": (9, 18)}


def _roster(
    h: _History, scouts: list[User], technicians: list[User], events: list[CityEvent]
) -> list[_Duty]:
    """The month's shifts: day, evening and night shifts in the duty zones, technicians'
    weekday shifts, and the staff at each match; planned, then worked (or not)."""
    duty_ids = [z.id for z in h.zones[ZoneKind.duty]]
    night_crew = {u.id for u in scouts[-NIGHT_CREW:]}
    duties: list[_Duty] = []
    for k, day in enumerate(h.days()):
        working = [
            (i, u) for i, u in enumerate(scouts) if day.weekday() not in (i % 7, (i + 3) % 7)
        ]
        nights = [u for _i, u in working if u.id in night_crew][:2]
        groups: dict[str, list[User]] = {"day": [], "evening": []}
        for i, user in working:
            if user.id not in night_crew:
                groups["day" if (i + k // 7) % 2 == 0 else "evening"].append(user)
        for slot, people in groups.items():
            for user, zone_ids in zip(people, _zone_sets(duty_ids, len(people)), strict=True):
                duties.append(_planned(h, user.id, day, slot, zone_ids))
        for user in nights:
            duties.append(
                _planned(h, user.id, day, "night", h.rng.sample(duty_ids, min(5, len(duty_ids))))
            )
        if day.weekday() < 5:
            duties += [_planned(h, u.id, day, "tech", []) for u in technicians]
    stadium = _stadium_zone(h)
    for event in events:
        duties += _event_duties(h, event, stadium, scouts, duties)
    for d in duties:
        _attendance(h, d)
    rows = [
        {"city_id": h.city.id, "user_id": d.user_id, "starts_at": d.starts_at,
         "ends_at": d.ends_at, "zone_ids": d.zone_ids, "city_event_id": d.event_id,
         "note": "", "checked_in_at": d.checked_in_at,
         "check_in_lon": d.where[0] if d.where and d.checked_in_at else None,
         "check_in_lat": d.where[1] if d.where and d.checked_in_at else None,
         "checked_out_at": d.checked_out_at,
         "check_out_lon": d.where[0] if d.where and d.checked_out_at else None,
         "check_out_lat": d.where[1] if d.where and d.checked_out_at else None,
         "cancelled_at": d.cancelled_at, "created_at": d.starts_at - timedelta(days=7)}
        for d in duties
    ]  # fmt: skip
    _insert(h.db, Shift, rows)
    return duties


def _planned(h: _History, user_id: int, day: date, slot: str, zone_ids: Any) -> _Duty:
    begin, end = SLOTS[slot]
    return _Duty(
        user_id=user_id,
        starts_at=h.at(day, begin),
        ends_at=h.at(day, end),
        zone_ids=sorted(int(z) for z in zone_ids),
        slot=slot,
    )


def _event_duties(
    h: _History, event: CityEvent, stadium: Zone, scouts: list[User], planned: list[_Duty]
) -> list[_Duty]:
    """Eight scouts at the match, from those not on an evening or night shift that day."""
    begin, end = event.starts_at - timedelta(hours=1.5), event.ends_at + timedelta(hours=1)
    busy = {d.user_id for d in planned if d.starts_at < end and d.ends_at > begin}
    free = [u for u in scouts if u.id not in busy]
    chosen = h.rng.sample(free, min(8, len(free)))
    return [
        _Duty(user_id=u.id, starts_at=begin, ends_at=end, zone_ids=[stadium.id], slot="event",
              event_id=event.id)
        for u in chosen
    ]  # fmt: skip


def _attendance(h: _History, d: _Duty) -> None:
    """Whether and when the person checked in and out (none of it after ``now``)."""
    rng = h.rng
    if rng.random() < 0.01:
        d.cancelled_at = d.starts_at - timedelta(days=rng.uniform(1, 3))
        return
    zone = next((z for z in h.zones[ZoneKind.duty] if d.zone_ids and z.id == d.zone_ids[0]), None)
    d.where = h.point(zone) if zone is not None else (h.city.center_lon, h.city.center_lat)
    if rng.random() < 0.05:  # never came, never checked in
        return
    came = d.starts_at + timedelta(minutes=_clip(rng.gauss(4, 6), -10, 45))
    if came >= h.now:
        return
    d.checked_in_at = came.replace(microsecond=0)
    left = d.ends_at + timedelta(minutes=_clip(rng.gauss(3, 8), -30, 40))
    if rng.random() < 0.92 and left < h.now:
        d.checked_out_at = left.replace(microsecond=0)


# --- the work: tasks, work logs and the violations they cleared ------------------------------


@dataclass
class _Log:
    """A finished task and its proof of work."""

    scout_id: int
    zone: Zone | None
    lon: float
    lat: float
    finished_at: datetime
    counts: dict[int, int]  # company id → vehicles put in order
    kind: TaskKind
    origin: TaskOrigin
    violation: str | None = None  # the key of the violation it cleared, opened when and what
    opened_at: datetime | None = None
    violation_kind: ViolationKind | None = None


LOGS_PER_SHIFT = {"day": 10.0, "evening": 12.5, "night": 5.0, "event": 9.0, "tech": 0.0}
KINDS = (TaskKind.tidy_cluster, TaskKind.move_to_parking, TaskKind.patrol_zone,
         TaskKind.inspect_vehicle)  # fmt: skip
KIND_SHARES = (0.42, 0.3, 0.23, 0.05)
VEHICLES_PER_LOG = {TaskKind.tidy_cluster: 9, TaskKind.move_to_parking: 5,
                    TaskKind.patrol_zone: 8, TaskKind.inspect_vehicle: 1}  # fmt: skip
TITLES = {TaskKind.tidy_cluster: "Tidy a cluster", TaskKind.move_to_parking: "Move to parking",
          TaskKind.patrol_zone: "Patrol the duty zone",
          TaskKind.inspect_vehicle: "Inspect a vehicle"}  # fmt: skip
LINKED_SHARE = 0.035  # of tidy and move tasks: made from a violation the detector opened


def _work(h: _History, duties: list[_Duty]) -> int:
    """The scouts' finished tasks with their work logs, and the violations behind some."""
    zones = {z.id: z for z in h.zones[ZoneKind.duty]}
    logs = [log for d in duties if d.checked_in_at is not None for log in _logs_of(h, d, zones)]
    _count_all(h, logs)
    seen: set[tuple[int, datetime]] = set()
    for item in logs:  # (scout, finished) is the key the rows are matched back by
        while (item.scout_id, item.finished_at) in seen:
            item.finished_at += timedelta(seconds=1)
        seen.add((item.scout_id, item.finished_at))
    violations = _violations(h, logs)
    ids = _insert(h.db, Violation, violations, key=("key",))
    task_rows = [_task_row(h, item, ids) for item in logs]
    task_ids = _insert(h.db, Task, task_rows, key=("scout_id", "closed_at"))
    log_rows: list[dict[str, Any]] = []
    for item in logs:
        task_id = task_ids[(item.scout_id, item.finished_at)]
        delay = h.rng.expovariate(1 / 20) if h.rng.random() > 0.05 else 3600 * h.rng.random()
        log_rows.append(
            {"city_id": h.city.id, "task_id": task_id, "scout_id": item.scout_id,
             "zone_id": item.zone.id if item.zone else None, "finished_at": item.finished_at,
             "recorded_at": item.finished_at + timedelta(seconds=delay),
             "total": sum(item.counts.values()), "notes": "", "suggested": {}}
        )  # fmt: skip
    log_ids = _insert(h.db, WorkLog, log_rows, key=("task_id",))
    count_rows = [
        {"city_id": h.city.id, "work_log_id": log_ids[(row["task_id"],)], "company_id": c,
         "count": n}
        for row, item in zip(log_rows, logs, strict=True)
        for c, n in item.counts.items()
    ]  # fmt: skip
    _insert(h.db, WorkLogCount, count_rows)
    return len(logs)


def _logs_of(h: _History, d: _Duty, zones: dict[int, Zone]) -> list[_Log]:
    """The tasks one worked shift finished, spread over the time on duty."""
    rng = h.rng
    assert d.checked_in_at is not None
    begin = d.checked_in_at + timedelta(minutes=10)
    end = min(d.checked_out_at or d.ends_at, d.ends_at) - timedelta(minutes=5)
    weekend = d.starts_at.astimezone(h.tz).weekday() >= 5
    n = _poisson(rng, LOGS_PER_SHIFT[d.slot] * (1.2 if weekend else 1.0))
    if end <= begin or n == 0:
        return []
    span = (end - begin).total_seconds()
    # After a match the crowd leaves all at once: the work piles up at the end.
    event = d.slot == "event"
    shares = [rng.betavariate(4, 1.3) if event else rng.random() for _ in range(n)]
    out = []
    for share in sorted(shares):
        finished = (begin + timedelta(seconds=share * span)).replace(microsecond=0)
        if finished >= h.now:
            break
        out.append(_log(h, d, zones, finished))
    return out


def _log(h: _History, d: _Duty, zones: dict[int, Zone], finished: datetime) -> _Log:
    """One finished task of a shift, where and what (its counts come later, all at once)."""
    rng = h.rng
    event = d.slot == "event"
    kind = KINDS[_pick(rng, KIND_SHARES)]
    if event and kind is not TaskKind.move_to_parking:
        kind = TaskKind.tidy_cluster
    own = [zones[z] for z in d.zone_ids if z in zones]
    zone = rng.choice(own) if own else None
    if zone is not None and rng.random() < 0.88:
        lon, lat = h.point(zone)
    elif zone is not None:
        (lon, lat), zone = h.near(zone, 700), None  # on the way: outside any duty zone
    else:
        lon, lat = h.spot()
    origin = TaskOrigin.event if event else TaskOrigin.manual
    return _Log(d.user_id, zone, lon, lat, finished, {}, kind, origin)


def _count_all(h: _History, logs: list[_Log]) -> None:
    """Vehicles each task put in order per company: one to three companies (the bigger fleets
    likelier, drawn as the first of a weighted shuffle), more after a match."""
    draw, n, width = h.arrays, len(logs), len(h.companies)
    weights = np.array(h.weights)
    inspect = np.array([item.kind is TaskKind.inspect_vehicle for item in logs])
    many = np.minimum(np.where(inspect, 1, 1 + draw.choice(3, size=n, p=[0.45, 0.35, 0.2])), width)
    keys = np.log(weights) - np.log(-np.log(1 - draw.random((n, width))))
    chosen = np.argsort(np.argsort(-keys, axis=1), axis=1) < many[:, None]
    mean = np.array(
        [VEHICLES_PER_LOG[i.kind] * (1.6 if i.origin is TaskOrigin.event else 1.0) for i in logs]
    )
    totals = np.maximum(many, 1 + draw.poisson(mean - 1))
    shares = chosen * weights
    counts = draw.multinomial(totals - many, shares / shares.sum(axis=1, keepdims=True)) + chosen
    ids = [c.id for c in h.companies]
    for item, row in zip(logs, counts.tolist(), strict=True):
        item.counts = {ids[j]: int(v) for j, v in enumerate(row) if v}


def _task_row(h: _History, item: _Log, ids: dict[tuple[Any, ...], int]) -> dict[str, Any]:
    rng = h.rng
    started = item.finished_at - timedelta(minutes=rng.uniform(4, 25))
    assigned = started - timedelta(minutes=rng.uniform(5, 60))
    created = assigned - timedelta(minutes=rng.uniform(0, 10))
    title, priority, deadline, origin = TITLES[item.kind], 3, None, item.origin
    violation_id = ids.get((item.violation,)) if item.violation else None
    if violation_id is not None and item.violation_kind and item.opened_at:
        # As ``ops.jobs`` makes it: when the violation opened, due by the kind's rule.
        rule = WORK[item.violation_kind]
        title, priority, origin = rule.title, rule.priority, TaskOrigin.violation
        created, deadline = item.opened_at, item.opened_at + rule.within
        assigned = created + timedelta(minutes=rng.uniform(0.5, 5))
    if item.zone is not None:
        title = f"{title}: {item.zone.name}"
    return {
        "city_id": h.city.id, "kind": item.kind.value, "origin": origin.value,
        "state": TaskState.done.value, "title": title, "notes": "", "priority": priority,
        "lon": item.lon, "lat": item.lat, "zone_id": item.zone.id if item.zone else None,
        "deadline": deadline, "violation_id": violation_id, "source_ref": None,
        "company_ids": sorted(item.counts), "vehicles": [], "scout_id": item.scout_id,
        "pinned": False, "route_seq": None, "eta": None, "explanation": "",
        "outcome_reason": "", "created_by": HISTORY_BY, "created_at": created,
        "updated_at": item.finished_at, "assigned_at": assigned,
        "accepted_at": assigned + timedelta(minutes=rng.uniform(0.5, 4)),
        "started_at": started, "closed_at": item.finished_at,
    }  # fmt: skip


def _violation_row(
    h: _History, kind: ViolationKind, key: str, opened: datetime, cleared: datetime, *,
    zone: Zone | None, company: Company | None, by_company: dict[str, int], lon: float,
    lat: float, threshold: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    count = sum(by_company.values()) or 1
    evidence: dict[str, Any] = {"by_company": by_company, "vehicles_total": count}
    if zone is not None:
        evidence["zone_name"] = zone.name
    return {
        "city_id": h.city.id, "kind": kind.value, "key": key, "open_key": None,
        "zone_id": zone.id if zone else None, "company_id": company.id if company else None,
        "count": count, "max_count": count + h.rng.randrange(0, 3), "threshold": threshold,
        "lon": lon, "lat": lat, "vehicles": [], "evidence": evidence, "fingerprint": "",
        "first_seen_at": opened - timedelta(minutes=h.rng.uniform(5, 40)),
        "opened_at": opened, "last_seen_at": cleared - timedelta(seconds=30),
        "cleared_at": cleared, "closed_at": cleared,
    }  # fmt: skip


def _violations(h: _History, logs: list[_Log]) -> list[dict[str, Any]]:
    """Violations of the month: those the scouts' tasks cleared, and others that cleared as
    riders took the vehicles or the companies acted."""
    rng = h.rng
    slugs = {c.id: c.slug for c in h.companies}
    by_id = {c.id: c for c in h.companies}
    rows = []
    for n, item in enumerate(logs):
        movable = item.kind in (TaskKind.tidy_cluster, TaskKind.move_to_parking)
        if not movable or item.zone is None or item.origin is not TaskOrigin.manual:
            continue
        if rng.random() >= LINKED_SHARE:
            continue
        kind = ViolationKind.clutter if item.kind is TaskKind.tidy_cluster else (
            ViolationKind.outside_parking
        )  # fmt: skip
        single = len(item.counts) == 1
        company = by_id[next(iter(item.counts))] if single else None
        item.violation = f"{kind.value}:{item.zone.id}:{company.slug if company else 'mixed'}:{n}"
        opened = item.finished_at - timedelta(minutes=rng.uniform(40, 110))
        item.opened_at, item.violation_kind = opened, kind
        cleared = item.finished_at + timedelta(minutes=rng.uniform(1, 6))
        rows.append(
            _violation_row(
                h, kind, item.violation, opened, min(cleared, h.now), zone=item.zone,
                company=company, lon=item.lon, lat=item.lat,
                by_company={slugs[c]: v for c, v in item.counts.items()},
            )
        )  # fmt: skip
    rows += _other_violations(h)
    return rows


OTHER_VIOLATIONS = (
    (ViolationKind.no_parking, ZoneKind.no_parking, 40, 25.0),
    (ViolationKind.over_capacity, ZoneKind.parking, 30, 50.0),
    (ViolationKind.no_ride, ZoneKind.no_ride, 12, 10.0),
    (ViolationKind.parked_too_long, None, 25, 60 * 24.0),
    (ViolationKind.disabled_too_long, None, 20, 60 * 30.0),
    (ViolationKind.duty_overload, ZoneKind.duty, 15, 90.0),
)  # (kind, where, how many, typical minutes open)


def _other_violations(h: _History) -> list[dict[str, Any]]:
    rng = h.rng
    rows = []
    for kind, zone_kind, many, minutes in OTHER_VIOLATIONS:
        places = h.zones.get(zone_kind, []) if zone_kind is not None else []
        for n in range(_poisson(rng, many)):
            zone = places[rng.randrange(len(places))] if places else None
            lon, lat = h.point(zone) if zone is not None else h.spot()
            company = None if kind is ViolationKind.duty_overload else h.company()
            if kind is ViolationKind.over_capacity and rng.random() < 0.5:
                company = None
            opened = h.moment()
            lasted = timedelta(minutes=rng.lognormvariate(0, 0.6) * minutes)
            cleared = min(opened + lasted, h.now)
            by_company = {company.slug: rng.randrange(1, 6)} if company else {
                c.slug: rng.randrange(2, 9) for c in h.companies
            }  # fmt: skip
            rows.append(
                _violation_row(
                    h, kind, f"{kind.value}:{zone.id if zone else 'city'}:history:{n}", opened,
                    cleared, zone=zone, company=company, by_company=by_company, lon=lon,
                    lat=lat, threshold=(zone.capacity or zone.target_load) if zone else None,
                )
            )  # fmt: skip
    return rows


# --- complaints ------------------------------------------------------------------------------


COMPLAINTS = {
    ComplaintSource.citizen: 34, ComplaintSource.government: 13, ComplaintSource.police: 8,
    ComplaintSource.company: 2, ComplaintSource.staff: 3,
}  # fmt: skip
CAT = ComplaintCategory
CATEGORIES: dict[ComplaintSource, dict[ComplaintCategory, float]] = {
    ComplaintSource.citizen: {CAT.badly_parked: 0.38, CAT.blocking_passage: 0.24,
                              CAT.damaged_vehicle: 0.08, CAT.dangerous_riding: 0.12,
                              CAT.minors_riding: 0.08, CAT.two_riders: 0.06, CAT.other: 0.04},
    ComplaintSource.government: {CAT.badly_parked: 0.45, CAT.blocking_passage: 0.35,
                                 CAT.damaged_vehicle: 0.05, CAT.dangerous_riding: 0.1,
                                 CAT.other: 0.05},
    ComplaintSource.police: {CAT.dangerous_riding: 0.35, CAT.minors_riding: 0.25,
                             CAT.two_riders: 0.2, CAT.blocking_passage: 0.2},
    ComplaintSource.company: {CAT.badly_parked: 0.5, CAT.damaged_vehicle: 0.5},
    ComplaintSource.staff: {CAT.badly_parked: 0.5, CAT.blocking_passage: 0.5},
}  # fmt: skip
DESCRIPTIONS = {
    CAT.badly_parked: "Самокаты брошены посреди тротуара у входа.",
    CAT.blocking_passage: "Несколько самокатов перегородили проход, не пройти с коляской.",
    CAT.damaged_vehicle: "Сломанный самокат лежит у дороги уже несколько дней.",
    CAT.dangerous_riding: "Самокатчик едет по тротуару на большой скорости между людьми.",
    CAT.minors_riding: "Дети лет двенадцати катаются на арендном самокате.",
    CAT.two_riders: "Двое на одном самокате, без шлемов, по проезжей части.",
    CAT.other: "Самокат стоит на газоне в сквере.",
}
COMPANY_ANSWER = (
    "Поездка найдена, пользователю вынесено предупреждение, аккаунт заблокирован на 7 дней."
)
STAFF_ANSWER = "Компания {company} сообщила: {answer}"
REOPEN_NOTE = "Самокаты снова стоят на том же месте."
COMPLAINT_VEHICLES = 2  # put in order per company by a complaint's task
# Who files what, as the demo's accounts (``demo.DEMO_USERS``).
FILERS = {ComplaintSource.government: "akimat", ComplaintSource.police: "police",
          ComplaintSource.staff: "supervisor", ComplaintSource.company: "jet"}  # fmt: skip


@dataclass
class _Filed:
    """A complaint of the month before it is written, and what becomes of it."""

    source: ComplaintSource
    category: ComplaintCategory
    received: datetime
    fate: str = "resolved"  # resolved, reopened, rejected, open, waiting


def _complaint_plan(h: _History) -> list[_Filed]:
    rng = h.rng
    plan = []
    for source, base in COMPLAINTS.items():
        shares = CATEGORIES[source]
        cats = list(shares)
        p = [shares[c] for c in cats]
        for _ in range(max(1, base + rng.randrange(-2, 3))):
            category = cats[_pick(rng, p)]
            plan.append(_Filed(source, category, h.moment()))
    plan.sort(key=lambda f: f.received)
    riding = [f for f in plan if f.category not in PLACE_FIXABLE]
    fixable = [f for f in plan if f.category in PLACE_FIXABLE]
    if len(fixable) > 4:
        fixable[len(fixable) // 3].fate = "reopened"
        fixable[len(fixable) // 2].fate = "rejected"
        fixable[-1].fate = "open"
    for f in riding[-2:]:
        f.fate = "waiting"
    if riding:
        riding[0].fate = "rejected"
    return plan


def _complaints(h: _History, duties: list[_Duty]) -> int:
    """About sixty complaints: most resolved (by a scout's task or the company's answer), some
    rejected, a few still open, one re-opened; matched and routed to the companies."""
    db, city = h.db, h.city
    rule_of = due_times.overrides(db, city_id=city.id)
    hours = due.ServiceHours.parse(
        ComplaintConfig.service_start, ComplaintConfig.service_end, city.timezone
    )
    users = {u.username: auth_service.get_by_username(db, username=u.username) for u in DEMO_USERS}
    rules = zones_service.in_force(db, city_id=city.id, at=h.period.start)
    plan = _complaint_plan(h)
    references = _references(h, [f.received for f in plan])
    made = []
    for n, (filed, ref) in enumerate(zip(plan, references, strict=True)):
        lon, lat = h.spot()
        user = users.get(FILERS.get(filed.source, ""))
        actor = Actor(user.id, user.username) if user else complaints_service.PUBLIC
        official = user is not None and filed.source in (
            ComplaintSource.government,
            ComplaintSource.police,
        )
        complaint = Complaint(
            city_id=city.id, reference=ref, source=filed.source, category=filed.category,
            status=ComplaintStatus.received, lon=lon, lat=lat,
            occurred_at=filed.received - timedelta(minutes=h.rng.uniform(5, 60)),
            received_at=filed.received, description=DESCRIPTIONS[filed.category],
            locale="kk" if h.rng.random() < 0.15 else "ru",
            due_at=due.due_at(
                filed.received, due.pick_rule(filed.category, filed.source, rule_of), hours
            ),
            zone_id=_zone_at(rules, lon, lat, filed.received), filed_by_user_id=actor.user_id,
            filed_by=actor.label, updated_at=filed.received, created_at=filed.received,
            external_ref=f"{filed.source.value[:3].upper()}-{filed.received:%y%m}-{n:04d}"
            if official else None,
        )  # fmt: skip
        made.append((complaint, actor))
    db.add_all([c for c, _a in made])
    db.flush()
    tasks: list[tuple[Complaint, Task, list[Company]]] = []
    for (complaint, actor), filed in zip(made, plan, strict=True):
        db.add(
            ComplaintTransition(
                city_id=city.id, complaint_id=complaint.id, action=None, from_status=None,
                to_status=ComplaintStatus.received, at=filed.received, by=actor.label,
                by_user_id=actor.user_id,
            )
        )  # fmt: skip
        companies = _matched(h, complaint)
        task = _settle(h, complaint, filed, companies, duties, rules)
        if task is not None:
            tasks.append((complaint, task, companies))
    _complaint_work(h, tasks)
    return len(plan)


def _references(h: _History, received: list[datetime]) -> list[str]:
    """Reference numbers as people are given them: the day's next, in order of receipt."""
    city, numbers = h.city, dict[str, int]()
    out = []
    for at in received:
        prefix = reference.day_prefix(city.slug, at, city.timezone)
        if prefix not in numbers:
            first = reference.next_reference(
                h.db, city_slug=city.slug, at=at, timezone=city.timezone
            )
            numbers[prefix] = int(first[len(prefix) :]) - 1
        numbers[prefix] += 1
        out.append(f"{prefix}{numbers[prefix]:04d}")
    return out


def _zone_at(
    rules: list[ZoneRule], lon: float, lat: float, at: datetime, *, duty: bool = False
) -> int | None:
    """The zone a complaint is about, chosen as ``complaints.matching.zone_at`` chooses it (or
    the duty zone its task belongs to); the month's rules are read once, as
    ``zones.service.in_force`` allows."""
    found = [
        r for r in rules
        if r.is_active(at) and (not duty or r.kind is ZoneKind.duty)
        and shapely.intersects_xy(r.geometry, lon, lat)
    ]  # fmt: skip
    found.sort(key=lambda r: (matching.ZONE_ORDER.index(r.kind), r.zone_id))
    return found[0].zone_id if found else None


def _matched(h: _History, complaint: Complaint) -> list[Company]:
    """The companies whose vehicles stood there, each routed a few minutes after receipt."""
    rng = h.rng
    first = h.company()
    companies = [first]
    if rng.random() < 0.2:
        companies += [c for c in h.companies if c.id != first.id][:1]
    routed = complaint.received_at + timedelta(minutes=rng.uniform(0.2, 3))
    for company in companies:
        h.db.add(
            ComplaintCompany(
                city_id=h.city.id, complaint_id=complaint.id, company_id=company.id,
                origin=MatchOrigin.history, state=MatchState.confirmed, decided_by=HISTORY_BY,
                routed_at=routed, routed_by=HISTORY_BY,
            )
        )  # fmt: skip
        for _ in range(1 + rng.randrange(0, 2)):
            h.db.add(
                ComplaintVehicle(
                    city_id=h.city.id, complaint_id=complaint.id, company_id=company.id,
                    vehicle_id=_code(h, company), lon=complaint.lon, lat=complaint.lat,
                    distance_m=round(rng.uniform(3, 40), 1),
                    seen_at=complaint.occurred_at, origin=MatchOrigin.history,
                    state=MatchState.confirmed, decided_by=HISTORY_BY, decided_at=routed,
                )
            )  # fmt: skip
    return companies


def _code(h: _History, company: Company) -> str:
    """A vehicle's code as its company prints it."""
    return f"{CODE_PREFIX.get(company.slug, 'XX')}-{h.rng.randrange(100_000, 1_000_000)}"


def _step(
    h: _History, complaint: Complaint, action: ComplaintAction, at: datetime, text: str = ""
) -> None:
    complaints_service.step(
        h.db, complaint=complaint, action=action, actor=Actor(None, HISTORY_BY), text=text, at=at
    )


def _settle(
    h: _History, complaint: Complaint, filed: _Filed, companies: list[Company],
    duties: list[_Duty], rules: list[ZoneRule],
) -> Task | None:  # fmt: skip
    """What became of a complaint, by its fate: a scout's task (returned, to be written), or
    the company's answer."""
    rng = h.rng
    taken = complaint.received_at + timedelta(minutes=rng.uniform(2, 90))
    if filed.fate == "open" or taken >= h.now:
        return None
    _step(h, complaint, ComplaintAction.take, taken)
    if filed.fate == "rejected":
        reason = "Повторное обращение: это место уже убрано по предыдущему обращению."
        _step(h, complaint, ComplaintAction.reject, taken + timedelta(minutes=20), reason)
        return None
    task = None
    if filed.category in PLACE_FIXABLE:
        task = _complaint_task(h, complaint, companies, taken, duties, rules)
        if task is None or task.closed_at is None:
            return None
        answer = messages.task_answer(
            complaint.locale, finished_at=task.closed_at, timezone=h.city.timezone,
            count=COMPLAINT_VEHICLES * len(companies), notes="",
        )  # fmt: skip
        closed = task.closed_at + timedelta(seconds=30)
    else:
        company = companies[0]
        replied = taken + timedelta(hours=rng.uniform(6, 60))
        if filed.fate == "waiting" or replied >= h.now:
            return None
        h.db.add(
            ComplaintComment(
                city_id=h.city.id, complaint_id=complaint.id, company_id=company.id,
                by_company=True, author=company.name, body=COMPANY_ANSWER, at=replied,
            )
        )  # fmt: skip
        answer = STAFF_ANSWER.format(company=company.name, answer=COMPANY_ANSWER)
        closed = replied + timedelta(hours=rng.uniform(0.5, 6))
    if closed < h.now:
        _step(h, complaint, ComplaintAction.resolve, closed, answer)
        again = closed + timedelta(hours=20)
        if filed.fate == "reopened" and again + timedelta(hours=4) < h.now:
            _step(h, complaint, ComplaintAction.reopen, again, REOPEN_NOTE)
            _step(h, complaint, ComplaintAction.resolve, again + timedelta(hours=3.5), answer)
    return task


def _complaint_task(
    h: _History, complaint: Complaint, companies: list[Company], taken: datetime,
    duties: list[_Duty], rules: list[ZoneRule],
) -> Task | None:  # fmt: skip
    """The scout's task a place-fixable complaint became, done (None: not done by now)."""
    rng = h.rng
    on_duty = [
        d for d in duties
        if d.checked_in_at is not None and d.checked_in_at <= taken < d.ends_at
        and d.slot in ("day", "evening", "night")
    ]  # fmt: skip
    scout = rng.choice(on_duty).user_id if on_duty else None
    if not on_duty:  # received at night: the morning shift goes first thing
        taken = h.at(taken.astimezone(h.tz).date() + timedelta(days=1), 8.25)
    took = timedelta(minutes=rng.lognormvariate(math.log(50), 0.5))
    finished = (taken + took).replace(microsecond=0)
    if finished >= h.now:
        return None
    kind = (
        TaskKind.inspect_vehicle
        if complaint.category == ComplaintCategory.damaged_vehicle
        else TaskKind.move_to_parking
    )
    return Task(
        city_id=h.city.id, kind=kind, origin=TaskOrigin.complaint, state=TaskState.done,
        title=f"Complaint {complaint.reference}", priority=4, lon=complaint.lon,
        lat=complaint.lat, zone_id=_zone_at(rules, complaint.lon, complaint.lat, taken, duty=True),
        deadline=complaint.due_at, source_ref=complaint.reference,
        company_ids=[c.id for c in companies], scout_id=scout, created_by=HISTORY_BY,
        created_at=taken, updated_at=finished, assigned_at=taken,
        accepted_at=taken + timedelta(minutes=1), started_at=finished - timedelta(minutes=10),
        closed_at=finished,
    )  # fmt: skip


def _complaint_work(h: _History, tasks: list[tuple[Complaint, Task, list[Company]]]) -> None:
    """Write the complaints' tasks and their proof of work."""
    db = h.db
    db.add_all([task for _c, task, _cs in tasks])
    db.flush()
    logs = []
    for complaint, task, companies in tasks:
        complaint.task_id = task.id
        assert task.closed_at is not None
        logs.append(
            WorkLog(
                city_id=h.city.id, task_id=task.id, scout_id=task.scout_id, zone_id=task.zone_id,
                finished_at=task.closed_at, recorded_at=task.closed_at,
                total=COMPLAINT_VEHICLES * len(companies),
            )
        )  # fmt: skip
    db.add_all(logs)
    db.flush()
    db.add_all(
        [
            WorkLogCount(
                city_id=h.city.id, work_log_id=log.id, company_id=c.id, count=COMPLAINT_VEHICLES
            )
            for log, (_complaint, _task, companies) in zip(logs, tasks, strict=True)
            for c in companies
        ]
    )
    db.flush()


# --- damaged vehicles ------------------------------------------------------------------------


DAMAGE_CASES = 250
DAMAGE_SOURCES = (DamageSource.scout, DamageSource.feed, DamageSource.staff)
DAMAGE_SOURCE_SHARES = (0.78, 0.16, 0.06)
DAMAGE_KINDS = (DamageKind.broken, DamageKind.vandalised, DamageKind.missing_parts,
                DamageKind.in_water, DamageKind.other)  # fmt: skip
DAMAGE_KIND_SHARES = (0.5, 0.22, 0.16, 0.04, 0.08)
VIA = (CollectedVia.portal, CollectedVia.api, CollectedVia.feed, CollectedVia.mds)
VIA_SHARES = (0.4, 0.25, 0.25, 0.1)
_Step = tuple[EventKind, datetime, str]  # a handover's step: what, when, who


def _damage(h: _History, scouts: list[User]) -> int:
    """About 250 damaged vehicles found and handed over; most collected within the company's
    agreed hours (some late), a few withdrawn, a few still waiting (escalated)."""
    db, rng = h.db, h.rng
    taken_keys = set(db.scalars(select(DamageCase.key).where(DamageCase.city_id == h.city.id)))
    within = {c.id: damage_service.collect_within(db, company_id=c.id) for c in h.companies}
    found: list[tuple[DamageCase, Handover, list[_Step], DamageSource, User | None]] = []
    for _ in range(DAMAGE_CASES + rng.randrange(-15, 16)):
        company = h.company()
        code = _code(h, company)
        key = intake.case_key(company.id, code)
        if key in taken_keys:
            continue
        taken_keys.add(key)
        source = DAMAGE_SOURCES[_pick(rng, DAMAGE_SOURCE_SHARES)]
        kind = (
            DamageKind.disabled_long
            if source is DamageSource.feed
            else DAMAGE_KINDS[_pick(rng, DAMAGE_KIND_SHARES)]
        )
        at = h.moment()
        lon, lat = h.spot()
        case = DamageCase(
            city_id=h.city.id, company_id=company.id, vehicle_code=code, key=key,
            kinds=[kind.value], lon=lon, lat=lat, first_reported_at=at, last_reported_at=at,
            report_count=1, created_at=at,
        )  # fmt: skip
        handover, steps = _hand_over(h, case, company, within[company.id])
        reporter = scouts[rng.randrange(len(scouts))] if source is DamageSource.scout else None
        found.append((case, handover, steps, source, reporter))
    db.add_all([case for case, *_rest in found])
    db.flush()
    for case, handover, *_rest in found:
        handover.case_id, handover.reference = case.id, damage_service.reference_for(case.id)
    db.add_all([handover for _case, handover, *_rest in found])
    db.flush()
    _insert(db, CaseReport, [_case_report(h, c, source, who) for c, _h, _s, source, who in found])
    events = [
        {"city_id": h.city.id, "handover_id": handover.id, "kind": kind.value, "at": at,
         "actor": actor, "note": "", "dispatched_at": at}
        for _case, handover, steps, *_rest in found
        for kind, at, actor in steps
    ]  # fmt: skip
    _insert(db, HandoverEvent, events)
    return len(found)


def _case_report(
    h: _History, case: DamageCase, source: DamageSource, reporter: User | None
) -> dict[str, Any]:
    by = reporter.full_name if reporter else ("Tartip" if source is DamageSource.feed else "")
    return {
        "city_id": h.city.id, "case_id": case.id, "source": source.value,
        "source_key": f"{HISTORY_BY}:{case.key}", "ops_damage_report_id": None,
        "complaint_id": None, "code": case.vehicle_code, "kinds": case.kinds,
        "description": "", "lon": case.lon, "lat": case.lat,
        "reported_at": case.first_reported_at, "reported_by": by or HISTORY_BY,
        "user_id": reporter.id if reporter else None,
    }  # fmt: skip


def _hand_over(
    h: _History, case: DamageCase, company: Company, within: timedelta
) -> tuple[Handover, list[_Step]]:
    """The case's handover and its steps (kept as already dispatched: no webhook goes out for
    them); the case is closed once the vehicle is off the street."""
    rng = h.rng
    handed = case.first_reported_at + timedelta(minutes=rng.uniform(0.5, 5))
    handover = Handover(
        city_id=h.city.id, company_id=company.id, status=HandoverStatus.handed_over,
        handed_over_at=handed, handed_over_by=HISTORY_BY, due_at=handed + within,
        updated_at=handed,
    )  # fmt: skip
    steps: list[_Step] = [(EventKind.handed_over, handed, HISTORY_BY)]
    fate = rng.random()
    withdrawn = handed + timedelta(hours=rng.uniform(0.5, 3))
    if fate < 0.04 and withdrawn < h.now:
        handover.status, handover.updated_at = HandoverStatus.cancelled, withdrawn
        handover.cancelled_at, handover.cancelled_by = withdrawn, HISTORY_BY
        handover.resolution = "Ошибочное сообщение: самокат исправен."
        steps.append((EventKind.cancelled, withdrawn, HISTORY_BY))
    else:
        steps += _collection(h, handover, company, late=fate > 0.85, waiting=fate > 0.96)
    off = handover.collected_at or handover.resolved_at or handover.cancelled_at
    case.closed_at, case.open_key = off, None if off is not None else case.key
    return handover, steps


def _collection(
    h: _History, handover: Handover, company: Company, *, late: bool, waiting: bool
) -> list[_Step]:
    """The company's steps: acknowledged, collected (in its crews' hours), maybe resolved."""
    rng = h.rng
    agreed = (handover.due_at - handover.handed_over_at).total_seconds() / 3600
    steps: list[_Step] = []
    acknowledged = handover.handed_over_at + timedelta(minutes=rng.uniform(3, 50))
    if acknowledged < h.now:
        handover.status = HandoverStatus.acknowledged
        handover.acknowledged_at, handover.acknowledged_by = acknowledged, company.name
        steps.append((EventKind.acknowledged, acknowledged, company.name))
    took = agreed * (rng.uniform(1.05, 2.2) if late else rng.betavariate(2.2, 2.5))
    collected = handover.handed_over_at + timedelta(hours=took)
    local = collected.astimezone(h.tz)
    if local.hour < 7:  # crews go out in the morning
        collected += timedelta(hours=7 - local.hour + rng.uniform(0, 1.5))
    if waiting or collected >= h.now:
        if handover.due_at < h.now:
            handover.escalated_at = handover.due_at + timedelta(minutes=1)
            steps.append((EventKind.escalated, handover.escalated_at, "Tartip"))
        return steps
    via = VIA[_pick(rng, VIA_SHARES)]
    handover.status, handover.collected_at = HandoverStatus.collected, collected
    handover.collected_by, handover.collected_via = company.name, via.value
    handover.updated_at = collected
    steps.append((EventKind.collected, collected, company.name))
    resolved = collected + timedelta(hours=rng.uniform(12, 96))
    if rng.random() < 0.4 and resolved < h.now:
        handover.status, handover.resolved_at = HandoverStatus.resolved, resolved
        handover.resolved_by, handover.resolution = company.name, "Отремонтирован."
        handover.updated_at = resolved
        steps.append((EventKind.resolved, resolved, company.name))
    return steps


# --- trips -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Templates:
    """Trip shapes drawn once (where, how long, how far) and placed once; a day's trips are
    drawn from them, so the month costs one district, cell and zone lookup, not thirty."""

    duration: np.ndarray
    distance: np.ndarray
    pair: np.ndarray  # start district's position × len(ids) + end's (ids[0]: outside)
    start_cell: np.ndarray  # positions in ``cells``
    end_cell: np.ndarray
    cells: np.ndarray  # (cell_x, cell_y) per position
    starts_in: dict[int, np.ndarray]  # zone id → templates starting in it
    ends_in: dict[int, np.ndarray]


def _places(h: _History) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where trips start and end: points around the duty zones, the parking places and the
    centre (longitudes, latitudes), and how popular each is."""
    rng, draw = h.rng, h.arrays
    spots = [(z.area.centroid, 3.0) for z in h.zones[ZoneKind.duty]]
    spots += [(z.area.centroid, 1.5) for z in h.zones.get(ZoneKind.parking, [])]
    spots.append((shapely.Point(h.city.center_lon, h.city.center_lat), 4.0))
    picks = [_pick(rng, [w for _p, w in spots]) for _ in range(TRIP_PLACES)]
    lons = np.array([spots[i][0].x for i in picks]) + draw.normal(0, 0.006, TRIP_PLACES)
    lats = np.array([spots[i][0].y for i in picks]) + draw.normal(0, 0.004, TRIP_PLACES)
    popular = np.array([spots[i][1] for i in picks]) * draw.lognormal(0, 0.5, TRIP_PLACES)
    return lons, lats, popular / popular.sum()


def _templates(h: _History, versions: list[ZoneVersion]) -> tuple[_Templates, list[int]]:
    """Trips between the places, the nearer and the more popular likelier (a gravity model)."""
    draw, n = h.arrays, TRIP_TEMPLATES
    lons, lats, popular = _places(h)
    locator = districts.locator(h.db, h.city.id)
    district = locator.locate_indices(lons, lats) + 1  # 0: outside every district
    kx = math.cos(math.radians(h.city.center_lat)) * METRES_PER_DEGREE
    apart = np.hypot((lons[:, None] - lons) * kx, (lats[:, None] - lats) * METRES_PER_DEGREE)
    # Most rides are short, and more of them stay in their own district.
    pull = popular * np.exp(-apart / 1200) * np.where(district[:, None] == district, 2.5, 1.0)
    cumulative = np.cumsum(pull / pull.sum(axis=1, keepdims=True), axis=1)
    start = np.searchsorted(np.cumsum(popular), draw.random(n) * np.cumsum(popular)[-1])
    start = np.minimum(start, TRIP_PLACES - 1)
    end = np.minimum((cumulative[start] < draw.random(n)[:, None]).sum(axis=1), TRIP_PLACES - 1)
    loop = draw.uniform(500, 2500, n)  # back to where it started: a ride around
    distance = np.where(start == end, loop, apart[start, end] * draw.uniform(1.2, 1.5, n)).round()
    duration = np.clip(distance / draw.uniform(2.3, 3.4, n), 60, 3600).round()
    ids = [OUTSIDE, *locator.ids]
    xs = np.floor(lons / CELL_LON).astype(np.int64)
    ys = np.floor(lats / CELL_LAT).astype(np.int64)
    cells, cell_of = np.unique(np.stack([xs, ys], axis=1), axis=0, return_inverse=True)
    cell_of = cell_of.reshape(-1)
    starts_in: dict[int, np.ndarray] = {}
    ends_in: dict[int, np.ndarray] = {}
    for version in versions:
        inside = shapely.contains_xy(version.area, lons, lats)
        starts_in[version.zone_id] = np.flatnonzero(inside[start])
        ends_in[version.zone_id] = np.flatnonzero(inside[end])
    built = _Templates(
        duration=duration, distance=distance, pair=district[start] * len(ids) + district[end],
        start_cell=cell_of[start], end_cell=cell_of[end], cells=cells, starts_in=starts_in,
        ends_in=ends_in,
    )  # fmt: skip
    return built, ids


def _trips(h: _History, versions: list[ZoneVersion]) -> int:
    """The companies' trips of each day as the trip rollups hold them (the grain and the sums
    the rollup job writes); days that have rollups already are left as they are."""
    db, rng = h.db, h.rng
    rolled = set(
        db.scalars(
            select(TripRollup.local_date).where(
                TripRollup.city_id == h.city.id,
                TripRollup.local_date >= h.period.first,
                TripRollup.local_date <= h.period.last,
            )
        )
    )
    shapes, ids = _templates(h, versions)
    rain = set(rng.sample(range(h.period.days), 2))
    rows: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    total = 0
    for k, day in enumerate(h.days()):
        factor = WEEKDAY_TRIPS[day.weekday()] * (0.75 if k in rain else 1.0)
        if day in rolled:
            continue
        for company, share in zip(h.companies, h.weights, strict=True):
            n = int(TRIPS_PER_DAY * factor * share * rng.gauss(1, 0.04))
            picked = h.arrays.integers(len(shapes.duration), size=n)
            stamp = {"city_id": h.city.id, "company_id": company.id, "local_date": day}
            _day_rows(rows, stamp, shapes, ids, picked, h.arrays.choice(24, size=n, p=HOURLY))
            total += n
    for model, batch in rows.items():
        _insert(db, model, batch)
    return total


def _day_rows(
    rows: dict[Any, list[dict[str, Any]]], stamp: dict[str, Any], shapes: _Templates,
    ids: list[int], picked: np.ndarray, hours: np.ndarray,
) -> None:  # fmt: skip
    """One company's day: trips by hour and district pair, histograms, cells and zones."""
    width = len(ids) ** 2
    group = hours * width + shapes.pair[picked]
    trips = np.bincount(group, minlength=24 * width)
    durations = np.bincount(group, weights=shapes.duration[picked], minlength=24 * width)
    distances = np.bincount(group, weights=shapes.distance[picked], minlength=24 * width)
    for g in np.flatnonzero(trips).tolist():
        hour, pair = divmod(g, width)
        rows[TripRollup].append(
            {**stamp, "hour": hour, "start_district": ids[pair // len(ids)],
             "end_district": ids[pair % len(ids)], "trips": int(trips[g]),
             "duration_s": round(float(durations[g])), "distance_m": round(float(distances[g]))}
        )  # fmt: skip
    measures = (
        ("duration", np.minimum(shapes.duration[picked] // DURATION_BIN_S, DURATION_BINS - 1)),
        ("distance", np.minimum(shapes.distance[picked] // DISTANCE_BIN_M, DISTANCE_BINS - 1)),
    )
    for measure, bins in measures:
        counts = np.bincount(bins.astype(np.int64))
        for b in np.flatnonzero(counts).tolist():
            rows[TripMeasureRollup].append(
                {**stamp, "measure": measure, "bin": b, "trips": int(counts[b])}
            )
    many = np.bincount(picked, minlength=len(shapes.duration))
    starts = np.bincount(shapes.start_cell, weights=many, minlength=len(shapes.cells))
    ends = np.bincount(shapes.end_cell, weights=many, minlength=len(shapes.cells))
    for c in np.flatnonzero(starts + ends).tolist():
        x, y = shapes.cells[c].tolist()
        rows[TripCellRollup].append(
            {**stamp, "cell_x": x, "cell_y": y, "starts": int(starts[c]), "ends": int(ends[c])}
        )
    for zone_id, inside in shapes.starts_in.items():
        s, e = int(many[inside].sum()), int(many[shapes.ends_in[zone_id]].sum())
        if s or e:
            rows[TripZoneRollup].append({**stamp, "zone_id": zone_id, "starts": s, "ends": e})


# --- road-safety incidents -------------------------------------------------------------------


INCIDENT_KINDS = (IncidentKind.fall, IncidentKind.collision, IncidentKind.near_miss)
INCIDENT_KIND_SHARES = (0.5, 0.35, 0.15)
SEVERITIES = (Severity.none, Severity.minor, Severity.serious, Severity.fatal)
INCIDENT_TEXT = {
    IncidentKind.fall: "Падение самокатчика на неровном покрытии, самокат повреждён.",
    IncidentKind.collision: "Столкновение самоката с пешеходом на тротуаре.",
    IncidentKind.near_miss: "Самокат едва не сбил пешехода на переходе.",
}
INCIDENT_SOURCES = (IncidentSource.staff, IncidentSource.police, IncidentSource.company)
INCIDENT_SOURCE_SHARES = (0.4, 0.35, 0.25)
INJURED = {Severity.none: 0, Severity.minor: 1}  # serious and fatal: one or two people
REPORTERS = {IncidentSource.police: "police", IncidentSource.staff: "supervisor"}


def _incidents(h: _History) -> int:
    """About twenty incidents: falls, collisions and near misses, from staff, the police and
    the companies, of varied severity."""
    db, rng = h.db, h.rng
    reps = {u.company_slug: u.username for u in DEMO_USERS if u.company_slug}
    many = rng.randrange(16, 29)
    for n in range(many):
        kind = INCIDENT_KINDS[_pick(rng, INCIDENT_KIND_SHARES)]
        shares = (1.0, 0, 0, 0) if kind is IncidentKind.near_miss else (0.2, 0.62, 0.16, 0.02)
        severity = SEVERITIES[_pick(rng, shares)]
        source = INCIDENT_SOURCES[_pick(rng, INCIDENT_SOURCE_SHARES)]
        company: Company | None = h.company()
        if source is IncidentSource.police and rng.random() < 0.3:
            company = None  # the police report did not say whose vehicle it was
        if source is IncidentSource.company and company is not None:
            name = reps.get(company.slug, "")
        else:
            name = REPORTERS.get(source, "")
        reporter = auth_service.get_by_username(db, username=name)
        when = h.moment()
        told = min(when + timedelta(hours=rng.uniform(0.5, 30)), h.now)
        lon, lat = h.spot()
        code = _code(h, company) if company is not None else None
        db.add(
            Incident(
                city_id=h.city.id, kind=kind, severity=severity, source=source, occurred_at=when,
                lon=lon, lat=lat, company_id=company.id if company else None, vehicle_code=code,
                injured=INJURED.get(severity, 1 + n % 2), description=INCIDENT_TEXT[kind],
                external_ref=f"DP-{when:%y%m%d}-{n:03d}" if reporter and name == "police"
                else None,
                reported_by_user_id=reporter.id if reporter else None,
                reported_by=reporter.username if reporter else HISTORY_BY,
                created_at=told, updated_at=told,
            )
        )  # fmt: skip
    db.flush()
    return many
