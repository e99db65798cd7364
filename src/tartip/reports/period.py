"""The scorecard's month: a calendar month in the city's time zone, as UTC instants and slots.

A month starts at its first local midnight (Asia/Almaty: UTC+5, so June begins at 19:00 UTC on
31 May). The fleet is counted in slots of ``SAMPLE_S`` seconds from that instant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tartip.core.errors import InvalidInput, Problem
from tartip.feeds.pull_slots import SLOT_S

# The fleet is counted every 5 minutes, the one agreed way applied to every company alike: in
# the feeds' pull slots, whose sums the scorecard reads.
SAMPLE_S = SLOT_S
MONTH_FORMAT = "YYYY-MM"


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month (in the city's time zone when turned into instants)."""

    year: int
    month: int

    @staticmethod
    def parse(text: str) -> Month:
        """``YYYY-MM`` as a month; ``InvalidInput`` otherwise."""
        parts = text.strip().split("-")
        if len(parts) == 2 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
            year, month = int(parts[0]), int(parts[1])
            if 1 <= month <= 12 and year >= 2000:
                return Month(year, month)
        raise InvalidInput(
            f"month {text!r} is not a month: write it as {MONTH_FORMAT}, e.g. 2026-06",
            problems=[Problem("query.month", f"expected {MONTH_FORMAT}")],
        )

    @staticmethod
    def containing(moment: datetime, timezone: str) -> Month:
        """The month of ``moment`` in ``timezone``."""
        local = moment.astimezone(ZoneInfo(timezone))
        return Month(local.year, local.month)

    @property
    def label(self) -> str:
        """``YYYY-MM``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        """The month after this one."""
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        """The month before this one."""
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)


def local_midnight(day: date, timezone: str) -> datetime:
    """The UTC instant of ``day``'s midnight in ``timezone``."""
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """A month as UTC instants: ``[start, end)``, counted up to ``until`` (now, if earlier)."""

    month: Month
    timezone: str
    start: datetime
    end: datetime
    until: datetime

    @property
    def complete(self) -> bool:
        """Whether the whole month is behind us."""
        return self.until >= self.end

    @property
    def slots(self) -> int:
        """Count of 5-minute slots in ``[start, until)``, the last one possibly cut short by now."""
        return max(0, math.ceil((self.until - self.start).total_seconds() / SAMPLE_S))

    @property
    def origin(self) -> int:
        """``start`` as POSIX seconds: slot ``k`` begins at ``origin + k * SAMPLE_S``."""
        return int(self.start.timestamp())

    def slot_days(self) -> list[tuple[date, slice]]:
        """Each local day that has slots, with the slice of the slots that begin on it."""
        tz = ZoneInfo(self.timezone)
        days: list[tuple[date, slice]] = []
        day = self.month.first_day
        first = 0
        while first < self.slots:
            next_midnight = local_midnight(day + timedelta(days=1), self.timezone)
            last = min(
                self.slots, math.ceil((next_midnight - self.start).total_seconds() / SAMPLE_S)
            )
            days.append((day, slice(first, last)))
            first, day = last, (next_midnight.astimezone(tz)).date()
        return days


def period_for(month: Month, *, timezone: str, now: datetime) -> Period:
    """The period of ``month`` in the city's ``timezone``; a month not begun is refused."""
    start = local_midnight(month.first_day, timezone)
    end = local_midnight(month.next().first_day, timezone)
    if now < start:
        raise InvalidInput(
            f"month {month.label} has not begun in {timezone}",
            problems=[Problem("query.month", "a month that has begun")],
        )
    return Period(month=month, timezone=timezone, start=start, end=end, until=min(end, now))
