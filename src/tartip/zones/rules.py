"""Zone rules as pure data: what detection and publication need, with no database.

A ``ZoneRule`` is one published version of a zone. ``is_active(at)`` answers whether it applies
at a moment: inside its validity period and inside its weekly schedule, read in the city's time
zone. A schedule whose end is not after its start runs across midnight into the next day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry.base import BaseGeometry

from tartip.zones.enums import ZoneKind

DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = frozenset(DAY_CODES)


def parse_clock(value: str) -> time:
    """A wall-clock time from ``HH:MM`` or ``HH:MM:SS`` (``24:00`` is the end of the day)."""
    if value in ("24:00", "24:00:00"):
        return time(0, 0)
    return time.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Weekly hours in the city's time zone: on ``days``, from ``start`` until ``end``.

    ``end <= start`` means the window crosses midnight: a Friday 22:00–06:00 window runs from
    Friday 22:00 to Saturday 06:00. ``start == end`` means a whole day from ``start``.
    """

    days: frozenset[str] = ALL_DAYS
    start: time = time(0, 0)
    end: time = time(0, 0)

    def is_active(self, local: datetime) -> bool:
        """Whether the window is open at ``local`` (a datetime already in city time)."""
        day = DAY_CODES[local.weekday()]
        yesterday = DAY_CODES[(local.weekday() - 1) % 7]
        moment = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return day in self.days and self.start <= moment < self.end
        # Crosses midnight: the evening part belongs to today, the early part to yesterday.
        return (day in self.days and moment >= self.start) or (
            yesterday in self.days and moment < self.end
        )

    def to_json(self) -> dict[str, Any]:
        """The stored and exported form: ``{"days": [...], "start": "HH:MM", "end": "HH:MM"}``."""
        return {
            "days": [d for d in DAY_CODES if d in self.days],
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Schedule:
        """A schedule from its stored form; ``ValueError`` says what is wrong."""
        days = data.get("days") or list(DAY_CODES)
        unknown = [d for d in days if d not in ALL_DAYS]
        if unknown:
            raise ValueError(f"unknown day(s) {unknown}; use {', '.join(DAY_CODES)}")
        return cls(
            days=frozenset(days),
            start=parse_clock(str(data.get("start", "00:00"))),
            end=parse_clock(str(data.get("end", "00:00"))),
        )


@dataclass(frozen=True, slots=True)
class ZoneRule:
    """One published version of a zone, as detection and publication see it."""

    zone_id: int
    version: int
    version_uid: str
    city_id: int
    kind: ZoneKind
    name: str
    code: str | None
    # The area the rule covers: the polygon, or the disc of a point with a radius.
    geometry: BaseGeometry
    timezone: str
    point: tuple[float, float] | None = None
    radius_m: float | None = None
    capacity: int | None = None
    speed_limit_kph: int | None = None
    target_load: int | None = None
    parking_required: bool = False
    # Companies the rule applies to; empty means every company.
    company_ids: frozenset[int] = frozenset()
    # Fleet caps: at most this many vehicles of a company in the zone.
    fleet_caps: Mapping[int, int] = field(default_factory=dict)
    active_from: datetime | None = None
    active_until: datetime | None = None
    schedule: Schedule | None = None
    in_force_from: datetime | None = None
    in_force_until: datetime | None = None

    def is_active(self, at: datetime) -> bool:
        """Whether the rule applies at ``at`` (aware): validity period and weekly schedule."""
        if at.tzinfo is None:
            raise ValueError("naive datetime: compare aware UTC times only")
        if self.active_from is not None and at < self.active_from:
            return False
        if self.active_until is not None and at >= self.active_until:
            return False
        if self.schedule is None:
            return True
        return self.schedule.is_active(at.astimezone(ZoneInfo(self.timezone)))

    def applies_to(self, company_id: int) -> bool:
        """Whether the rule binds this company."""
        return not self.company_ids or company_id in self.company_ids
