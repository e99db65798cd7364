"""Time: the only place that reads the clock. Stored times are aware UTC; shown in city time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def from_timestamp(seconds: float) -> datetime:
    """A POSIX timestamp (seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


def to_city_time(moment: datetime, timezone: str) -> datetime:
    """``moment`` in the city's time zone (e.g. Asia/Almaty)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Tartip stores and compares aware UTC times only")
    return moment.astimezone(ZoneInfo(timezone))
