"""Where travel times come from: a pluggable source, the straight-line fallback, and a row cache.

A ``TravelTimeSource`` answers "how many seconds from each origin to each destination, in this
mode". ``osm.NetworkTravelTimes`` answers over the OSM street network; ``StraightLineTimes``
(straight line × detour factor) is the fallback and the stand-in for tests; a city can plug in its
own router (an OSRM or Valhalla table call) by implementing the one method.

``TimeCache`` keeps the times the planner has asked for between named places (tasks, scout
positions) and asks the source only for what it lacks, so a new task costs one search from it (and,
where one-way streets make times differ by direction, one to it), never a new matrix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from tartip.ops.dispatch.model import LonLat, TravelMode
from tartip.ops.dispatch.network import metres_per_degree
from tartip.ops.dispatch.profiles import PROFILES, ModeProfile

log = logging.getLogger(__name__)

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
Float32Array = np.ndarray[Any, np.dtype[np.float32]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


@dataclass(frozen=True)
class TravelTimes:
    """Seconds from each origin (rows) to each destination (columns).

    ``estimated`` marks pairs that are straight line × detour factor rather than a route over the
    network (a point off the network, or no path between the two).
    """

    seconds: FloatArray
    estimated: BoolArray


class TravelTimeSource(Protocol):
    """Anything that can give travel times; implement ``times`` to plug in a city's own router.

    ``times`` must return finite seconds for every pair (estimate and flag what it cannot route),
    zero from a point to itself, and may be called with one origin and many destinations or the
    reverse: the planner asks for one row and one column per new place.
    """

    def times(
        self, mode: TravelMode, origins: Sequence[LonLat], destinations: Sequence[LonLat]
    ) -> TravelTimes:
        """Travel times in ``mode`` from every origin to every destination."""
        ...


def straight_line_s(
    origins: Sequence[LonLat] | FloatArray,
    destinations: Sequence[LonLat] | FloatArray,
    profile: ModeProfile,
) -> FloatArray:
    """Straight-line distance × the profile's detour factor at its fallback speed, in seconds."""
    a = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
    lat0 = float(np.mean(np.concatenate([a[:, 1], b[:, 1]]))) if a.size + b.size else 0.0
    mx, my = metres_per_degree(lat0)
    dx = (a[:, None, 0] - b[None, :, 0]) * mx
    dy = (a[:, None, 1] - b[None, :, 1]) * my
    metres: FloatArray = np.hypot(dx, dy)
    return metres * profile.detour_factor / profile.fallback_speed


class StraightLineTimes:
    """The fallback source: straight line × detour factor, every pair flagged as estimated."""

    def __init__(self, profiles: dict[TravelMode, ModeProfile] | None = None) -> None:
        self.profiles = profiles or PROFILES

    def times(
        self, mode: TravelMode, origins: Sequence[LonLat], destinations: Sequence[LonLat]
    ) -> TravelTimes:
        """Straight-line estimates for every pair."""
        seconds = straight_line_s(origins, destinations, self.profiles[mode])
        return TravelTimes(seconds=seconds, estimated=np.ones(seconds.shape, dtype=bool))


class TimeCache:
    """Times between named places per travel mode, filled on demand from a source.

    Places get a row and a column when first named; ``block`` asks the source only for the
    missing part, as rows (one search per origin) or as columns (one search per destination),
    whichever needs fewer searches.
    """

    def __init__(self, source: TravelTimeSource) -> None:
        self.source = source
        self.index: dict[str, int] = {}
        self.points: list[LonLat] = []
        self._seconds: dict[TravelMode, Float32Array] = {}
        self._estimated: dict[TravelMode, BoolArray] = {}
        self.requests = 0

    def add(self, key: str, position: LonLat) -> int:
        """The index of place ``key``; a moved place (a scout) gets its times forgotten."""
        i = self.index.get(key)
        if i is None:
            i = len(self.points)
            self.index[key] = i
            self.points.append(position)
            return i
        if self.points[i] != position:
            self.points[i] = position
            for mode in self._seconds:
                self._seconds[mode][i, :] = np.nan
                self._seconds[mode][:, i] = np.nan
        return i

    def retain(self, keys: set[str]) -> None:
        """Forget places not in ``keys`` (finished tasks) once they are half of the matrix."""
        if len(self.index) < 64 or 2 * len(keys & self.index.keys()) > len(self.index):
            return
        kept = [k for k in self.index if k in keys]
        old = np.array([self.index[k] for k in kept], dtype=np.int64)
        self.index = {k: i for i, k in enumerate(kept)}
        self.points = [self.points[i] for i in old]
        for mode in list(self._seconds):
            self._seconds[mode] = self._seconds[mode][np.ix_(old, old)]
            self._estimated[mode] = self._estimated[mode][np.ix_(old, old)]

    def _grow(self, mode: TravelMode) -> tuple[Float32Array, BoolArray]:
        n = len(self.points)
        sec = self._seconds.get(mode)
        if sec is None or sec.shape[0] < n:
            # Grow by a quarter: a re-plan adds a few places to a matrix of thousands.
            size = max(n, (5 * (0 if sec is None else sec.shape[0])) // 4, 64)
            new_sec = np.full((size, size), np.nan, dtype=np.float32)
            new_est = np.zeros((size, size), dtype=bool)
            if sec is not None:
                k = sec.shape[0]
                new_sec[:k, :k] = sec
                new_est[:k, :k] = self._estimated[mode]
            self._seconds[mode], self._estimated[mode] = new_sec, new_est
        return self._seconds[mode], self._estimated[mode]

    def matrix(self, mode: TravelMode) -> tuple[Float32Array, BoolArray]:
        """The whole (partly unknown: NaN) matrix of ``mode``, indexed like ``index``."""
        return self._grow(mode)

    def block(self, mode: TravelMode, rows: Sequence[int], cols: Sequence[int]) -> None:
        """Make sure times from every place in ``rows`` to every place in ``cols`` are known."""
        sec, est = self._grow(mode)
        r = np.asarray(rows, dtype=np.int64)
        c = np.asarray(cols, dtype=np.int64)
        if r.size == 0 or c.size == 0:
            return
        missing = np.isnan(sec[np.ix_(r, c)])
        # A row mostly unknown costs one search from it (a new place: its whole row) ...
        mostly = missing.sum(axis=1) * 2 >= c.size
        if mostly.any():
            self._fill(mode, r[mostly], c)
            missing = np.isnan(sec[np.ix_(r, c)])
        if not missing.any():
            return
        # ... and what is left (a new place's column) one search to each missing column, or from
        # each missing row if there are fewer of those.
        need_r = r[missing.any(axis=1)]
        need_c = c[missing.any(axis=0)]
        if need_r.size <= need_c.size:
            self._fill(mode, need_r, c)
        else:
            self._fill(mode, r, need_c)

    def _fill(
        self, mode: TravelMode, rows: np.ndarray[Any, Any], cols: np.ndarray[Any, Any]
    ) -> None:
        sec, est = self._grow(mode)
        answer = self.source.times(
            mode, [self.points[i] for i in rows], [self.points[j] for j in cols]
        )
        self.requests += 1
        sec[np.ix_(rows, cols)] = answer.seconds
        est[np.ix_(rows, cols)] = answer.estimated
