"""The companies' trips of the month, written directly as the daily trip rollups.

The report reads trips only through the rollups, so the history writes those (at the grain and
with the sums the rollup job writes) instead of millions of MDS trips and events.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select

from tartip.cities import districts
from tartip.core.geo import METRES_PER_DEGREE
from tartip.demo_history.context import HOURLY, History, insert_rows, pick
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
from tartip.zones.enums import ZoneKind
from tartip.zones.models import ZoneVersion

WEEKDAY_TRIPS = (0.94, 0.95, 0.97, 0.99, 1.06, 1.14, 1.08)  # Monday … Sunday
TRIPS_PER_DAY = 29_500  # the three companies together, an ordinary day
TRIP_TEMPLATES = 40_000
TRIP_PLACES = 180  # where the month's trips start and end


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


def _places(h: History) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where trips start and end: points around the duty zones, the parking places and the
    centre (longitudes, latitudes), and how popular each is."""
    rng, draw = h.rng, h.arrays
    spots = [(z.area.centroid, 3.0) for z in h.zones[ZoneKind.duty]]
    spots += [(z.area.centroid, 1.5) for z in h.zones.get(ZoneKind.parking, [])]
    spots.append((shapely.Point(h.city.center_lon, h.city.center_lat), 4.0))
    picks = [pick(rng, [w for _p, w in spots]) for _ in range(TRIP_PLACES)]
    lons = np.array([spots[i][0].x for i in picks]) + draw.normal(0, 0.006, TRIP_PLACES)
    lats = np.array([spots[i][0].y for i in picks]) + draw.normal(0, 0.004, TRIP_PLACES)
    popular = np.array([spots[i][1] for i in picks]) * draw.lognormal(0, 0.5, TRIP_PLACES)
    return lons, lats, popular / popular.sum()


def _templates(h: History, versions: list[ZoneVersion]) -> tuple[_Templates, list[int]]:
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


def write_trips(h: History, versions: list[ZoneVersion]) -> int:
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
        insert_rows(db, model, batch)
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
