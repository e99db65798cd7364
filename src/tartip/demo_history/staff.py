"""The month's people and shifts: extra demo staff, the two matches at the Central Stadium,
the roster (day, evening, night, technicians' and match shifts) and who turned up when.

The shifts come first because everything else happens on them: the work logs are finished in
worked shifts, and a place-fixable complaint goes to a scout on duty.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import shapely
from sqlalchemy import select

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.demo_history.context import History, insert_rows
from tartip.events.models import CityEvent
from tartip.events.service import CENTRAL_STADIUM
from tartip.ops.demo import DEMO_SCOUTS, REAL_SCOUT
from tartip.ops.enums import TravelMode
from tartip.ops.models import Shift, StaffProfile, Team
from tartip.zones.enums import ZoneKind
from tartip.zones.models import Zone

EXTRA_SCOUTS = 36
EXTRA_TECHNICIANS = 2
NIGHT_CREW = 4  # the last extra scouts patrol at night, two a night

MALE = tuple(
    "Азамат Бауыржан Дамир Ерлан Ержан Қайрат Марат Нұрсұлтан Олжас Руслан Санжар Тимур Ілияс "
    "Арман Данияр Максим Артём Денис".split()
)
FEMALE = tuple("Айгүл Айым Дана Жанар Камила Мадина Сабина Томирис Әсел Дарья Анна Алина".split())
SURNAMES = tuple(
    "Ахметов Бекмуханов Жумабаев Искаков Касымов Нургалиев Оспанов Сагинтаев Тулегенов Утешев "
    "Шарипов Абдрахманов Иванов Сейтказиев Мусин Омаров".split()
)


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


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


def write_people(h: History) -> tuple[list[User], list[User]]:
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
class Duty:
    """A planned shift of the month, and how it went: the work and the complaints' tasks are
    done on the shifts that were worked."""

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


def write_events(h: History) -> list[CityEvent]:
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


def _stadium_zone(h: History) -> Zone:
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


def write_roster(
    h: History, scouts: list[User], technicians: list[User], events: list[CityEvent]
) -> list[Duty]:
    """The month's shifts: day, evening and night shifts in the duty zones, technicians'
    weekday shifts, and the staff at each match; planned, then worked (or not)."""
    duty_ids = [z.id for z in h.zones[ZoneKind.duty]]
    night_crew = {u.id for u in scouts[-NIGHT_CREW:]}
    duties: list[Duty] = []
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
    insert_rows(h.db, Shift, rows)
    return duties


def _planned(h: History, user_id: int, day: date, slot: str, zone_ids: Any) -> Duty:
    begin, end = SLOTS[slot]
    return Duty(
        user_id=user_id,
        starts_at=h.at(day, begin),
        ends_at=h.at(day, end),
        zone_ids=sorted(int(z) for z in zone_ids),
        slot=slot,
    )


def _event_duties(
    h: History, event: CityEvent, stadium: Zone, scouts: list[User], planned: list[Duty]
) -> list[Duty]:
    """Eight scouts at the match, from those not on an evening or night shift that day."""
    begin, end = event.starts_at - timedelta(hours=1.5), event.ends_at + timedelta(hours=1)
    busy = {d.user_id for d in planned if d.starts_at < end and d.ends_at > begin}
    free = [u for u in scouts if u.id not in busy]
    chosen = h.rng.sample(free, min(8, len(free)))
    return [
        Duty(user_id=u.id, starts_at=begin, ends_at=end, zone_ids=[stadium.id], slot="event",
              event_id=event.id)
        for u in chosen
    ]  # fmt: skip


def _attendance(h: History, d: Duty) -> None:
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
