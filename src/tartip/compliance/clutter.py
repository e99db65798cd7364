"""Clutters: places where more than N vehicles stand within R metres, found on a grid of R.

A vehicle is a clutter's centre when its disc of radius R (boundary included) holds more than N
vehicles, itself counted. N and R may differ per vehicle (a city's thresholds per zone kind or
zone, where the vehicle stands): each vehicle is judged as a centre by its own pair. Centres whose
discs share vehicles form one clutter, whose members are every vehicle in those discs. Positions
are projected to metres on a local flat approximation, exact to centimetres at these distances.
The grid's cells are as wide as the largest R; only vehicles whose 3 × 3 block of cells holds more
than their N are examined one by one, so an ordinary street costs one counting pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tartip.core.geo import METRES_PER_DEGREE

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
_SHIFT = 1 << 22  # cell keys: x · 2^22 + y; a city spans far fewer cells than 2^22 either way


def _cells(x: FloatArray, y: FloatArray, size: float) -> IntArray:
    cx = np.floor(x / size).astype(np.int64)
    cy = np.floor(y / size).astype(np.int64)
    keys: IntArray = (cx - cx.min()) * _SHIFT + (cy - cy.min())
    return keys


def _neighbour_pairs(
    cell: IntArray, order: IntArray, uniq: IntArray, first: IntArray, count: IntArray, who: IntArray
) -> tuple[IntArray, IntArray]:
    """Pairs (i, j) where ``j`` stands in the 3 × 3 cells around ``i``, for each ``i`` in who."""
    left: list[IntArray] = []
    right: list[IntArray] = []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            wanted = cell[who] + dx * _SHIFT + dy
            pos = np.minimum(np.searchsorted(uniq, wanted), len(uniq) - 1)
            n = np.where(uniq[pos] == wanted, count[pos], 0)
            starts = np.repeat(first[pos], n)
            offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
            left.append(np.repeat(who, n))
            right.append(order[starts + offset])
    return np.concatenate(left), np.concatenate(right)


def _components(size: int, a: IntArray, b: IntArray) -> IntArray:
    """A label per node such that nodes joined by edges (a, b) share the smallest label."""
    labels = np.arange(size, dtype=np.int64)
    while True:
        new = labels.copy()
        np.minimum.at(new, a, labels[b])
        np.minimum.at(new, b, labels[a])
        new = new[new]
        if np.array_equal(new, labels):
            return labels
        labels = new


@dataclass(frozen=True)
class Clutter:
    """One clutter: every vehicle in it, and the centres whose discs held too many."""

    members: IntArray
    centres: IntArray


def find_clutters(
    lon: FloatArray,
    lat: FloatArray,
    *,
    radius_m: float | FloatArray,
    more_than: float | FloatArray,
) -> list[Clutter]:
    """Each clutter (indices into ``lon``/``lat``), largest first; R and N scalar or per vehicle."""
    n = len(lon)
    radius = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), (n,))
    limit = np.broadcast_to(np.asarray(more_than, dtype=np.float64), (n,))
    if n == 0 or n <= limit.min():
        return []
    lat0 = float(np.mean(lat))
    x = lon * (METRES_PER_DEGREE * math.cos(math.radians(lat0)))
    y = lat * METRES_PER_DEGREE
    cell = _cells(x, y, float(radius.max()))
    order = np.argsort(cell, kind="stable").astype(np.int64)
    uniq, first, count = np.unique(cell[order], return_index=True, return_counts=True)
    first = first.astype(np.int64)
    count = count.astype(np.int64)
    block = np.zeros(len(uniq), dtype=np.int64)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            wanted = uniq + dx * _SHIFT + dy
            pos = np.minimum(np.searchsorted(uniq, wanted), len(uniq) - 1)
            block += np.where(uniq[pos] == wanted, count[pos], 0)
    if not (block > limit.min()).any():  # an ordinary street: no block is crowded enough
        return []
    # A vehicle can be a centre only if its 3 × 3 block holds more than its N.
    per_vehicle = np.empty(n, dtype=np.int64)
    per_vehicle[order] = np.repeat(block, count)
    who = np.flatnonzero(per_vehicle > limit).astype(np.int64)
    if not len(who):
        return []
    i, j = _neighbour_pairs(cell, order, uniq, first, count, who)
    dx_m, dy_m = x[i] - x[j], y[i] - y[j]
    near = dx_m * dx_m + dy_m * dy_m <= radius[i] * radius[i]
    i, j = i[near], j[near]
    is_centre = np.bincount(i, minlength=n) > limit
    keep = is_centre[i]
    i, j = i[keep], j[keep]
    if not len(i):
        return []
    return _group(n, i, j, is_centre)


def _group(n: int, i: IntArray, j: IntArray, is_centre: NDArray[np.bool_]) -> list[Clutter]:
    """The clutters formed by centre → neighbour edges (i, j), largest first."""
    labels = _components(n, i, j)
    members = np.unique(np.concatenate([i, j]))
    groups = labels[members]
    sorted_at = np.argsort(groups, kind="stable")
    _ids, starts = np.unique(groups[sorted_at], return_index=True)
    found = [
        Clutter(members=g.astype(np.int64), centres=g[is_centre[g]].astype(np.int64))
        for g in np.split(members[sorted_at], starts[1:])
    ]
    return sorted(found, key=lambda c: len(c.members), reverse=True)
