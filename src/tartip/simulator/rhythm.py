"""The city's daily rhythm: how many trips start each hour and where people go at that time."""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np

from tartip.simulator.places import FloatArray

# Relative trips per local hour 0..23: quiet nights, a morning peak at 8-9 and a longer, higher
# evening peak at 17-20, as scooter traffic in Almaty is mostly leisure and last-mile commuting.
_HOURLY = (
    1.5, 0.8, 0.4, 0.2, 0.2, 0.4, 1.5, 4.0, 6.5, 5.5, 4.5, 4.5,
    5.0, 5.0, 4.8, 5.0, 6.0, 7.5, 8.5, 8.5, 7.5, 6.0, 4.0, 2.5,
)  # fmt: skip
HOURLY_SHARE: tuple[float, ...] = tuple(v / sum(_HOURLY) for v in _HOURLY)


class DayPhase(IntEnum):
    """A part of the day with its own travel pattern; an int to index the factor tables."""

    night = 0
    morning = 1
    midday = 2
    evening = 3


# Rows: DayPhase; columns: PlaceGroup (home, transit, leisure, work, shopping).
# Mornings go from homes to metro, work and study; evenings to parks, malls and back home.
ORIGIN_FACTOR: FloatArray = np.array(
    [
        [1.0, 0.8, 1.2, 0.5, 0.8],
        [1.6, 1.2, 0.5, 0.6, 0.4],
        [1.0, 1.0, 1.0, 1.2, 1.1],
        [0.9, 1.2, 1.3, 1.5, 1.3],
    ],
    dtype=np.float64,
)
DESTINATION_FACTOR: FloatArray = np.array(
    [
        [1.6, 0.6, 0.8, 0.3, 0.4],
        [0.5, 1.6, 0.5, 2.0, 0.6],
        [0.9, 1.0, 1.2, 1.0, 1.4],
        [1.1, 0.9, 1.6, 0.5, 1.3],
    ],
    dtype=np.float64,
)


def hourly_share(local_hour: float) -> float:
    """The share of a day's trips per hour at ``local_hour``, linear between hour midpoints."""
    h = local_hour - 0.5
    base = math.floor(h)
    frac = h - base
    i = base % 24
    return HOURLY_SHARE[i] * (1.0 - frac) + HOURLY_SHARE[(i + 1) % 24] * frac


def trips_per_second(local_hour: float, daily_trips: float) -> float:
    """Trips starting per second at ``local_hour`` for a city making ``daily_trips`` a day."""
    return daily_trips * hourly_share(local_hour) / 3600.0


def day_phase(local_hour: float) -> DayPhase:
    """The part of the day at ``local_hour`` (city time)."""
    if 6.0 <= local_hour < 10.0:
        return DayPhase.morning
    if 10.0 <= local_hour < 16.0:
        return DayPhase.midday
    if 16.0 <= local_hour < 22.0:
        return DayPhase.evening
    return DayPhase.night
