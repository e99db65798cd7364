"""The report's period from a request: a day, an ISO week, a month, or any run of whole days.

Every period is made of whole local days in the city's time zone and turned into UTC instants
here (Asia/Almaty: 1 June begins at 19:00 UTC on 31 May), so every figure counts by the city's
calendar, not UTC's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tartip.core.clock import to_city_time
from tartip.core.errors import InvalidInput, Problem
from tartip.reports.period import Month, local_midnight
from tartip.reports.report_model import PeriodKind, ReportPeriod

MAX_DAYS = 400


def local_time(moment: datetime, timezone: str) -> str:
    """An instant as the city's wall-clock time, to the minute: ``2026-07-01 03:00``."""
    return to_city_time(moment, timezone).strftime("%Y-%m-%d %H:%M")


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(
            f"{field} {text!r} is not a date: write it as YYYY-MM-DD",
            problems=[Problem(f"query.{field}", "expected YYYY-MM-DD")],
        ) from exc


def make(kind: PeriodKind, first: date, last: date, timezone: str) -> ReportPeriod:
    """The period of local days ``first``..``last`` (inclusive) in ``timezone``."""
    if last < first:
        raise InvalidInput(
            f"the period ends ({last}) before it starts ({first})",
            problems=[Problem("query.end", "on or after the start")],
        )
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(
            f"the period {first} – {last} is longer than {MAX_DAYS} days",
            problems=[Problem("query.end", f"at most {MAX_DAYS} days after the start")],
        )
    return ReportPeriod(
        kind=kind,
        first=first,
        last=last,
        timezone=timezone,
        start=local_midnight(first, timezone),
        end=local_midnight(last + timedelta(days=1), timezone),
    )


def month_period(month: Month, timezone: str) -> ReportPeriod:
    """The period of a calendar month in the city's time zone."""
    last = month.next().first_day - timedelta(days=1)
    return make(PeriodKind.month, month.first_day, last, timezone)


def parse(
    *,
    timezone: str,
    now: datetime,
    period: str | None = None,
    at: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> ReportPeriod:
    """The period a request names; ``InvalidInput`` says which parameter is wrong.

    - ``start`` and ``end`` (local dates, both included): that run of days (``custom``);
    - ``period=day|week|month`` with ``at`` (a date, or ``YYYY-MM`` for a month): that day, the
      ISO week (Monday–Sunday) holding the date, or that month; without ``at``: the current one;
    - nothing: this month.
    A period that begins after today is refused: it has no records yet.
    """
    today = now.astimezone(ZoneInfo(timezone)).date()
    if start or end:
        if not (start and end):
            raise InvalidInput(
                "a custom period needs both start and end",
                problems=[Problem("query.start" if not start else "query.end", "required")],
            )
        chosen = make(PeriodKind.custom, _date(start, "start"), _date(end, "end"), timezone)
    else:
        try:
            kind = PeriodKind(period or PeriodKind.month)
        except ValueError as exc:
            raise InvalidInput(
                f"period {period!r} is not one of day, week, month, custom",
                problems=[Problem("query.period", "day, week or month")],
            ) from exc
        if kind is PeriodKind.month:
            month = Month.parse(at) if at else Month(today.year, today.month)
            chosen = month_period(month, timezone)
        elif kind is PeriodKind.week:
            day = _date(at, "at") if at else today
            first = day - timedelta(days=day.weekday())
            chosen = make(kind, first, first + timedelta(days=6), timezone)
        elif kind is PeriodKind.day:
            day = _date(at, "at") if at else today
            chosen = make(kind, day, day, timezone)
        else:
            raise InvalidInput(
                "a custom period needs start and end",
                problems=[Problem("query.start", "required")],
            )
    if chosen.first > today:
        raise InvalidInput(
            f"the period {chosen.label} has not begun in {timezone}",
            problems=[Problem("query.start", "a period that has begun")],
        )
    return chosen
