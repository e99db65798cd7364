"""When a complaint is due: a time per category and source, counted in calendar or field hours.

Defaults live here; a city overrides them with ``ComplaintDueTime`` rows (category and source, or
"*" for any), the most specific row winning: (category, source), (category, *), (*, source), then
these defaults. Government bodies and the police get half the time a citizen gets.

A due time counted in *service* hours counts only the operator's field hours, read in the city's
time zone (Asia/Almaty): a complaint at 22:30 with two field hours left, in hours 07:00–23:00, is
due at 08:30 the next morning local time. Deadlines leave here as aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tartip.complaints.enums import ComplaintCategory, ComplaintSource, DueClock
from tartip.zones.rules import parse_clock

ANY = "*"
C, S = ComplaintCategory, ComplaintSource


@dataclass(frozen=True)
class DueRule:
    """How long a complaint may take, and how the hours are counted."""

    hours: float
    clock: DueClock


# A pavement blocked now matters now; riding behaviour is the companies' to answer, in days.
CATEGORY_DEFAULTS: dict[ComplaintCategory, DueRule] = {
    C.blocking_passage: DueRule(2, DueClock.service),
    C.badly_parked: DueRule(4, DueClock.service),
    C.damaged_vehicle: DueRule(8, DueClock.service),
    C.dangerous_riding: DueRule(72, DueClock.calendar),
    C.minors_riding: DueRule(72, DueClock.calendar),
    C.two_riders: DueRule(72, DueClock.calendar),
    C.other: DueRule(120, DueClock.calendar),
}
SOURCE_FACTOR: dict[ComplaintSource, float] = {
    S.citizen: 1.0,
    S.government: 0.5,
    S.police: 0.5,
    S.company: 1.0,
    S.staff: 1.0,
}
MAX_DAYS_SCANNED = 400  # a service window that never opens must not loop for ever


def default_rule(category: ComplaintCategory, source: ComplaintSource) -> DueRule:
    """The built-in due time of a category from a source."""
    base = CATEGORY_DEFAULTS[category]
    return DueRule(base.hours * SOURCE_FACTOR[source], base.clock)


def pick_rule(
    category: ComplaintCategory,
    source: ComplaintSource,
    overrides: Mapping[tuple[str, str], DueRule],
) -> DueRule:
    """The rule that applies: the most specific city override, else the default."""
    for key in ((category.value, source.value), (category.value, ANY), (ANY, source.value)):
        if key in overrides:
            return overrides[key]
    return default_rule(category, source)


@dataclass(frozen=True)
class ServiceHours:
    """The operator's field hours each day in city time; ``end <= start`` runs past midnight."""

    start: time
    end: time
    timezone: str

    @classmethod
    def parse(cls, start: str, end: str, timezone: str) -> ServiceHours:
        """Hours from ``HH:MM`` texts (``24:00`` is midnight)."""
        return cls(parse_clock(start), parse_clock(end), timezone)

    def windows(self, day: datetime) -> list[tuple[datetime, datetime]]:
        """The open windows that start on a local calendar day (aware, in city time)."""
        zone = ZoneInfo(self.timezone)
        opens = datetime.combine(day.date(), self.start, tzinfo=zone)
        closes_day = day.date() if self.end > self.start else day.date() + timedelta(days=1)
        closes = datetime.combine(closes_day, self.end, tzinfo=zone)
        return [(opens, closes)]


def add_service_time(start: datetime, amount: timedelta, hours: ServiceHours) -> datetime:
    """``start`` plus ``amount`` of field hours: time outside the windows does not count."""
    if start.tzinfo is None:
        raise ValueError("naive datetime: due times are computed from aware times")
    zone = ZoneInfo(hours.timezone)
    left = amount
    local = start.astimezone(zone)
    # The previous day's window may run past midnight into today.
    day = local - timedelta(days=1)
    for _ in range(MAX_DAYS_SCANNED):
        for opens, closes in hours.windows(day):
            begin = max(opens, local)
            if begin >= closes:
                continue
            # Count in UTC: a window spanning a clock change has its true length.
            begin_utc = begin.astimezone(UTC)
            available = closes.astimezone(UTC) - begin_utc
            if left <= available:
                return begin_utc + left
            left -= available
        day += timedelta(days=1)
    raise ValueError("the service hours never open")


def due_at(received_at: datetime, rule: DueRule, hours: ServiceHours) -> datetime:
    """The UTC deadline of a complaint received at ``received_at`` under ``rule``."""
    amount = timedelta(hours=rule.hours)
    if rule.clock is DueClock.service:
        return add_service_time(received_at, amount, hours)
    return (received_at + amount).astimezone(UTC)
