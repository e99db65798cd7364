"""``NetworkTravelTimes``: the ``TravelTimeSource`` over the OSM street and footpath network."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from tartip.ops.dispatch.model import LonLat, TravelMode
from tartip.ops.dispatch.network import FloatArray, IntArray, RoadNetwork
from tartip.ops.dispatch.osm import (
    BOUND_FACTOR,
    BOUND_MARGIN_M,
    PASSABLE,
    RETRY_FACTOR,
    SLOTS,
    Area,
    ModeGraph,
    Snapped,
)
from tartip.ops.dispatch.profiles import PROFILES, ModeProfile
from tartip.ops.dispatch.travel import TravelTimes, straight_line_s

log = logging.getLogger(__name__)

SAME_POINT_M = 1.0
# Requests with at most this many sources are incremental (a new task): keep their rows.
CACHE_REQUEST_MAX = 4
# Bulk searches stay inside the places' bounding box grown by this much (a path that leaves it
# is found by the retry on the whole graph only if nothing inside the box reaches the place).
AREA_MARGIN_M = 800.0
KEEP_WIDER = 1.5
AREA_MARGIN_SHARE = 0.3


class NetworkTravelTimes:
    """Travel times over a ``RoadNetwork`` for each travel mode.

    ``searches`` counts single-point Dijkstra searches run (the cost that matters);
    ``estimated`` counts pairs answered by the straight-line fallback.
    """

    def __init__(
        self,
        network: RoadNetwork,
        *,
        profiles: dict[TravelMode, ModeProfile] | None = None,
        max_snap_m: float = 150.0,
        cache_rows: int = 128,
    ) -> None:
        self.network = network
        self.profiles = profiles or PROFILES
        self.max_snap_m = max_snap_m
        self._graphs: dict[TravelMode, ModeGraph] = {}
        self._rows: OrderedDict[tuple[Any, ...], tuple[float, FloatArray]] = OrderedDict()
        self._cache_rows = cache_rows
        self.searches = 0
        self.estimated = 0

    def graph(self, mode: TravelMode) -> ModeGraph:
        """The routing graph of ``mode`` (built on first use, well under a second)."""
        if mode not in self._graphs:
            self._graphs[mode] = ModeGraph(
                self.network, self.profiles[mode], max_snap_m=self.max_snap_m
            )
        return self._graphs[mode]

    def times(
        self, mode: TravelMode, origins: Sequence[LonLat], destinations: Sequence[LonLat]
    ) -> TravelTimes:
        """Seconds from every origin to every destination; flagged where estimated."""
        o = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
        d = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
        if o.shape[0] == 0 or d.shape[0] == 0:
            empty = np.zeros((o.shape[0], d.shape[0]))
            return TravelTimes(seconds=empty, estimated=empty.astype(bool))
        g = self.graph(mode)
        so, sd = g.snap(o), g.snap(d)
        # Search from whichever side has fewer points: a row per origin or a column per destination.
        reverse = d.shape[0] < o.shape[0]
        src, tgt = (d, o) if reverse else (o, d)
        s_src, s_tgt = (sd, so) if reverse else (so, sd)
        along = _along_chain(so, sd)
        along = along.T if reverse else along
        area = self._area(g, o, d) if src.shape[0] > CACHE_REQUEST_MAX else g.whole
        crow_m = straight_line_s(src, tgt, g.profile)
        crow_m *= g.profile.fallback_speed / g.profile.detour_factor
        rows, limits = self._junction_rows(g, area, src, s_src, _bound(g, crow_m, 1), reverse)
        net = np.minimum(_combine(rows, s_tgt, g, area, reverse=reverse), along)
        hopeless = (g.component_of(s_src)[:, None] != g.component_of(s_tgt)[None, :]) | (
            s_src.off[:, None] | s_tgt.off[None, :]
        )
        for factor in (RETRY_FACTOR, np.inf):
            missing = (net >= PASSABLE) & ~hopeless
            if not missing.any():
                break
            # The bound or the area was too tight for these pairs: search the whole graph, wider,
            # from the fewer of the sources and the targets involved.
            r, c = np.flatnonzero(missing.any(axis=1)), np.flatnonzero(missing.any(axis=0))
            if r.size <= c.size:
                full = self._search(g, g.whole, s_src, r, limits * factor, reverse)
                net[r] = np.minimum(net[r], _combine(full, s_tgt, g, g.whole, reverse=reverse))
                self._forget(g, src[r], reverse)
            else:
                bounds = _bound(g, crow_m, 0) * factor
                full = self._search(g, g.whole, s_tgt, c, bounds, not reverse)
                back = _combine(full, s_src, g, g.whole, reverse=not reverse)
                net[:, c] = np.minimum(net[:, c], back.T)
        return self._finish(g, o, d, so, sd, net.T if reverse else net)

    def _area(self, g: ModeGraph, o: FloatArray, d: FloatArray) -> Area:
        """The part of the graph around all the places, with a margin for detours."""
        xy = self.network.xy(np.concatenate([o, d]))
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        margin = max(AREA_MARGIN_M, AREA_MARGIN_SHARE * float((hi - lo).max()))
        return g.area(lo - margin, hi + margin)

    def _finish(
        self,
        g: ModeGraph,
        o: FloatArray,
        d: FloatArray,
        so: Snapped,
        sd: Snapped,
        net: FloatArray,
    ) -> TravelTimes:
        """Add the walk on and off the network; fall back to a straight line where needed."""
        access = g.profile.access_speed
        seconds = net + so.lateral_m[:, None] / access + sd.lateral_m[None, :] / access
        crow = straight_line_s(o, d, g.profile)
        fallback = so.off[:, None] | sd.off[None, :] | ~(net < PASSABLE)
        seconds = np.where(fallback, crow, seconds)
        same = crow * g.profile.fallback_speed / g.profile.detour_factor < SAME_POINT_M
        seconds = np.where(same, 0.0, seconds)
        estimated = fallback & ~same
        self.estimated += int(estimated.sum())
        return TravelTimes(seconds=seconds, estimated=estimated)

    def _junction_rows(
        self,
        g: ModeGraph,
        area: Area,
        src: FloatArray,
        snapped: Snapped,
        limits: FloatArray,
        reverse: bool,
    ) -> tuple[FloatArray, FloatArray]:
        """Seconds from (``reverse``: to) each source to every junction of ``area``, and bounds."""
        cacheable = area is g.whole
        if not cacheable:
            return self._search(g, area, snapped, np.arange(src.shape[0]), limits, reverse), limits
        # A new place's row is kept and serves later requests (on foot, also the way back to
        # it), which may reach farther than this one: search a little wider once.
        need, limits = limits, limits * KEEP_WIDER
        rows = np.full((src.shape[0], area.n), np.inf)
        keys = [self._key(g, p, reverse) for p in src.tolist()]
        todo = []
        for i, key in enumerate(keys):
            hit = self._rows.get(key)
            if hit is not None and hit[0] >= need[i]:
                rows[i], limits[i] = hit[1], hit[0]
                self._rows.move_to_end(key)
            else:
                todo.append(i)
        todo_idx = np.array(todo, dtype=np.int64)
        rows[todo_idx] = self._search(g, area, snapped, todo_idx, limits, reverse)
        for i in todo:
            self._remember(keys[i], float(limits[i]), rows[i])
        return rows, limits

    def _search(
        self,
        g: ModeGraph,
        area: Area,
        snapped: Snapped,
        todo: IntArray,
        limits: FloatArray,
        reverse: bool,
    ) -> FloatArray:
        """Rows for the sources ``todo`` (in that order), searched in batches of similar bounds."""
        out = np.empty((todo.size, area.n))
        order = np.argsort(limits[todo], kind="stable")
        for start in range(0, order.size, SLOTS):
            pick = order[start : start + SLOTS]
            batch = todo[pick]
            limit = float(limits[batch].max())
            out[pick] = g.search(area, snapped, batch, reverse=reverse, limit=limit)
            self.searches += batch.size
        return out

    def _forget(self, g: ModeGraph, points: FloatArray, reverse: bool) -> None:
        for p in points.tolist():
            self._rows.pop(self._key(g, p, reverse), None)

    def _key(self, g: ModeGraph, point: list[float], reverse: bool) -> tuple[Any, ...]:
        direction = "both" if g.symmetric else reverse
        return (g.profile.mode, direction, round(point[0], 7), round(point[1], 7))

    def _remember(self, key: tuple[Any, ...], limit: float, row: FloatArray) -> None:
        self._rows[key] = (limit, row.copy())
        self._rows.move_to_end(key)
        while len(self._rows) > self._cache_rows:
            self._rows.popitem(last=False)


def _bound(g: ModeGraph, crow_m: FloatArray, axis: int) -> FloatArray:
    """Search bound (s) per source (axis 1) or per target (axis 0): the farthest other place."""
    far = crow_m.max(axis=axis) if crow_m.size else np.zeros(crow_m.shape[1 - axis])
    out: FloatArray = (far * BOUND_FACTOR + BOUND_MARGIN_M) / g.profile.bound_speed
    return out


def _combine(
    rows: FloatArray, tgt: Snapped, g: ModeGraph, area: Area, *, reverse: bool
) -> FloatArray:
    """Junction times of each source → times to (``reverse``: from) each target point."""
    pad = np.concatenate([rows, np.full((rows.shape[0], 1), np.inf)], axis=1)
    a = area.local[g.net.chain_a[tgt.chain]]
    b = area.local[g.net.chain_b[tgt.chain]]
    a, b = np.where(a >= 0, a, area.n), np.where(b >= 0, b, area.n)
    # Forward, a target is reached from its chain's ends; in reverse, a target leaves by them.
    to_a, to_b = (tgt.p2a, tgt.p2b) if reverse else (tgt.a2p, tgt.b2p)
    out: FloatArray = np.minimum(pad[:, a] + to_a[None, :], pad[:, b] + to_b[None, :])
    return out


def _along_chain(src: Snapped, dst: Snapped) -> FloatArray:
    """Seconds straight along a shared chain, without passing a junction (inf elsewhere)."""
    out = np.full((src.chain.size, dst.chain.size), np.inf)
    i, j = np.nonzero(src.chain[:, None] == dst.chain[None, :])
    if i.size:
        ahead = dst.pos[j] >= src.pos[i]
        cost = np.where(ahead, dst.a2p[j] - src.a2p[i], src.p2a[i] - dst.p2a[j])
        out[i, j] = np.where((cost > -1e-3) & (cost < PASSABLE), np.maximum(cost, 0.0), np.inf)
    return out
