"""The scorecard's month in the city's time zone (pure: no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tartip.core.errors import InvalidInput
from tartip.reports.period import Month, period_for

ALMATY = "Asia/Almaty"


def test_month_parse_and_neighbours():
    assert Month.parse("2026-06") == Month(2026, 6)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2026, 6).label == "2026-06"
    for bad in ("2026-13", "2026-6-1", "June", "26-06", "2026-00", ""):
        with pytest.raises(InvalidInput):
            Month.parse(bad)


def test_a_month_in_almaty_starts_at_local_midnight():
    # Almaty is UTC+5 (since March 2024): June begins at 19:00 UTC on 31 May.
    period = period_for(Month(2026, 6), timezone=ALMATY, now=datetime(2026, 8, 1, tzinfo=UTC))
    assert period.start == datetime(2026, 5, 31, 19, tzinfo=UTC)
    assert period.end == datetime(2026, 6, 30, 19, tzinfo=UTC)
    assert period.complete and period.until == period.end
    assert period.slots == 30 * 288
    days = period.slot_days()
    assert [d for d, _s in days][:2] == [date(2026, 6, 1), date(2026, 6, 2)]
    assert len(days) == 30 and all(s.stop - s.start == 288 for _d, s in days)


def test_this_month_is_counted_up_to_now_and_a_future_month_is_refused():
    now = datetime(2026, 6, 1, 20, 1, tzinfo=UTC)  # 2 June 01:01 in Almaty
    period = period_for(Month(2026, 6), timezone=ALMATY, now=now)
    assert not period.complete and period.until == now
    # 25 h 1 min after the start: samples at 0, 5, …, 25 h 0 min.
    assert period.slots == 25 * 12 + 1
    assert [(d, s.stop - s.start) for d, s in period.slot_days()] == [
        (date(2026, 6, 1), 288),
        (date(2026, 6, 2), 13),
    ]
    assert Month.containing(now, ALMATY) == Month(2026, 6)
    assert Month.containing(datetime(2026, 5, 31, 19, tzinfo=UTC), ALMATY) == Month(2026, 6)
    assert Month.containing(datetime(2026, 5, 31, 18, 59, tzinfo=UTC), ALMATY) == Month(2026, 5)
    with pytest.raises(InvalidInput):
        period_for(Month(2026, 7), timezone=ALMATY, now=now)
