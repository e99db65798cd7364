"""Travel times over the OSM network: snapping, and bounded Dijkstra searches per travel mode.

A point is snapped onto the nearest segment its mode may use (a KD-tree over points sampled
every 20 m along the segments, then an exact projection). It then sits *inside* a chain between
two junctions, so a search from it starts at a spare "slot" node of the graph whose two edges
lead to the chain's ends at the cost of getting there along the chain; scipy's Dijkstra takes
only nodes as sources, and slots avoid rebuilding the graph. A search from one point gives its
times to every place at once. Searches are bounded by the farthest place asked for (crow distance
× 1.5 + 300 m at the mode's usual speed) and repeated with wider bounds for the few places
not reached.

Times to a point use the reversed graph (one-way streets), except for modes where every street is
two-way (walking), where the same search serves both directions and is cached.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from tartip.ops.dispatch.model import LonLat
from tartip.ops.dispatch.network import FloatArray, IntArray, RoadNetwork
from tartip.ops.dispatch.profiles import ModeProfile
from tartip.ops.dispatch.travel import BoolArray

log = logging.getLogger(__name__)

Csr = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]
BIG = 1e12  # stands for "impassable" inside prefix sums, where inf would give inf - inf
PASSABLE = 1e7  # any cost above this is impassable (no real leg takes 115 days)
SLOTS = 64
SAMPLE_M = 20.0
BOUND_FACTOR = 1.5
BOUND_MARGIN_M = 300.0
# A search that fell short of a place is repeated with its bound times this, then unbounded.
RETRY_FACTOR = 3.0


@dataclass(frozen=True)
class Snapped:
    """Points placed on the network: chain, position along it, costs to/from its two ends."""

    chain: IntArray
    pos: FloatArray  # slot index of the segment in chain_seg + fraction along it
    a2p: FloatArray  # from the chain's start junction to the point
    p2b: FloatArray
    p2a: FloatArray
    b2p: FloatArray
    lateral_m: FloatArray
    off: BoolArray  # too far from any usable segment: use the straight-line fallback


@dataclass(frozen=True)
class Area:
    """A part of a mode's graph (the junctions in a box, renumbered) with its own slot rows."""

    local: IntArray  # junction id → id in the area, -1 outside
    n: int
    forward: Csr
    backward: Csr


class ModeGraph:
    """The routing graph of one travel mode over a ``RoadNetwork``."""

    def __init__(self, net: RoadNetwork, profile: ModeProfile, *, max_snap_m: float) -> None:
        self.net, self.profile, self.max_snap_m = net, profile, max_snap_m
        fwd, bwd = _segment_costs(net, profile)
        self.symmetric = bool(np.array_equal(fwd, bwd))
        seg = net.chain_seg
        along_f = np.where(net.chain_fwd, fwd[seg], bwd[seg])
        along_b = np.where(net.chain_fwd, bwd[seg], fwd[seg])
        self.along_f, self.along_b = _big(along_f), _big(along_b)
        self.pre_f, self.tot_f = _prefix(self.along_f, net.chain_ptr)
        self.pre_b, self.tot_b = _prefix(self.along_b, net.chain_ptr)
        self.seg_chain = net.seg_chain
        self.n = net.n_junctions
        self.forward = _csr_parts(net, self.tot_f, self.tot_b, self.n)
        self.backward = (
            self.forward
            if self.symmetric
            else _csr_parts(net, self.tot_b, self.tot_f, self.n, reverse=True)
        )
        indptr, indices, data = self.forward
        graph = csr_matrix((data, indices, indptr), shape=(self.n + SLOTS, self.n + SLOTS))
        # Weak components: places in different ones are not worth an unbounded search.
        self.component = connected_components(graph, directed=False)[1][: self.n]
        usable = np.isfinite(fwd) | np.isfinite(bwd)
        self._tree, self._sample_seg = _sample_tree(net, np.flatnonzero(usable))
        self._node_xy = net.xy(net.node_lonlat)
        self.junction_xy = self._node_xy[net.junction_node]
        self.whole = Area(np.arange(self.n), self.n, self.forward, self.backward)

    def area(self, lo: FloatArray, hi: FloatArray) -> Area:
        """The junctions inside the box ``lo``–``hi`` (local metres) and the edges among them."""
        inside = np.all((self.junction_xy >= lo) & (self.junction_xy <= hi), axis=1)
        sel = np.flatnonzero(inside)
        local = np.full(self.n, -1, dtype=np.int64)
        local[sel] = np.arange(sel.size)
        forward = _cut(self.forward, sel, local)
        backward = forward if self.symmetric else _cut(self.backward, sel, local)
        return Area(local, int(sel.size), forward, backward)

    def component_of(self, snapped: Snapped) -> IntArray:
        """The network component each snapped point lies in."""
        out: IntArray = self.component[self.net.chain_a[snapped.chain]]
        return out

    def snap(self, points: Sequence[LonLat] | FloatArray) -> Snapped:
        """Place points on the nearest segment this mode may use."""
        net = self.net
        xy = net.xy(np.asarray(points, dtype=np.float64).reshape(-1, 2))
        k = min(8, self._sample_seg.size)
        _, idx = self._tree.query(xy, k=k)
        cand = self._sample_seg[np.asarray(idx).reshape(xy.shape[0], k)]
        a, b = self._node_xy[net.seg_u[cand]], self._node_xy[net.seg_v[cand]]
        ab = b - a
        t = np.einsum("pkd,pkd->pk", xy[:, None, :] - a, ab) / np.maximum(
            np.einsum("pkd,pkd->pk", ab, ab), 1e-9
        )
        t = np.clip(t, 0.0, 1.0)
        dist = np.hypot(*(a + t[..., None] * ab - xy[:, None, :]).transpose(2, 0, 1))
        best = np.argmin(dist, axis=1)
        rows = np.arange(xy.shape[0])
        seg, frac, lateral = cand[rows, best], t[rows, best], dist[rows, best]
        slot = net.seg_slot[seg]
        f = np.where(net.chain_fwd[slot], frac, 1.0 - frac)
        chain = self.seg_chain[seg]
        a2p = self.pre_f[slot] + f * self.along_f[slot]
        p2a = self.pre_b[slot] + f * self.along_b[slot]
        return Snapped(
            chain=chain,
            pos=slot + f,
            a2p=a2p,
            p2b=self.tot_f[chain] - a2p,
            p2a=p2a,
            b2p=self.tot_b[chain] - p2a,
            lateral_m=lateral,
            off=lateral > self.max_snap_m,
        )

    def search(
        self, area: Area, snapped: Snapped, idx: IntArray, *, reverse: bool, limit: float
    ) -> FloatArray:
        """Seconds from (or, ``reverse``, to) each chosen point to every junction of ``area``."""
        indptr, indices, data = area.backward if reverse else area.forward
        indices, data = indices.copy(), data.copy()
        base = indptr[area.n]
        chain = snapped.chain[idx]
        first = (snapped.a2p if reverse else snapped.p2a)[idx]
        second = (snapped.b2p if reverse else snapped.p2b)[idx]
        slots = area.n + np.arange(idx.size)
        where = base + 2 * np.arange(idx.size)
        for k, (cost, end) in enumerate(
            ((first, self.net.chain_a[chain]), (second, self.net.chain_b[chain]))
        ):
            end_local = area.local[end]
            ok = (cost < PASSABLE) & (end_local >= 0)
            indices[where + k] = np.where(ok, end_local, slots)
            data[where + k] = np.where(ok, np.maximum(cost, 1e-3), 1.0)
        size = area.n + SLOTS
        graph = csr_matrix((data, indices, indptr), shape=(size, size))
        dist = dijkstra(graph, directed=True, indices=slots, limit=limit)
        out: FloatArray = dist[:, : area.n]
        return out


def _cut(parts: Csr, sel: IntArray, local: IntArray) -> Csr:
    """CSR arrays of the graph restricted to junctions ``sel`` (renumbered), plus slot rows."""
    indptr, indices, data = parts
    starts, counts = indptr[sel], indptr[sel + 1] - indptr[sel]
    total = int(counts.sum())
    edge = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)
    dst = local[indices[edge]]
    keep = dst >= 0
    row = np.repeat(np.arange(sel.size), counts)[keep]
    n = sel.size
    new_ptr = np.zeros(n + SLOTS + 1, dtype=np.int32)
    np.cumsum(np.concatenate([np.bincount(row, minlength=n), np.full(SLOTS, 2)]), out=new_ptr[1:])
    slot_nodes = np.repeat(np.arange(n, n + SLOTS), 2)
    new_indices = np.concatenate([dst[keep], slot_nodes]).astype(np.int32)
    new_data = np.concatenate([data[edge][keep], np.ones(2 * SLOTS)])
    return new_ptr, new_indices, new_data


def _segment_costs(net: RoadNetwork, profile: ModeProfile) -> tuple[FloatArray, FloatArray]:
    """Seconds along each segment as drawn and against it (inf where the mode may not go)."""
    speed = np.array([profile.speed(c, None) for c in net.classes])[net.seg_class]
    if profile.use_maxspeed:
        tagged = np.isfinite(net.seg_maxspeed) & (net.seg_maxspeed > 0)
        capped = net.seg_maxspeed / 3.6 * profile.maxspeed_factor
        speed = np.where(tagged & (speed > 0), np.minimum(speed, capped), speed)
    with np.errstate(divide="ignore"):
        cost = np.where(speed > 0, net.seg_length / np.where(speed > 0, speed, 1.0), np.inf)
    fwd, bwd = cost.copy(), cost.copy()
    if profile.oneway_binds:
        exempt_classes = [i for i, c in enumerate(net.classes) if c in profile.oneway_exempt]
        binds = ~np.isin(net.seg_class, exempt_classes) & np.isfinite(cost)
        against = (
            net.seg_length / profile.contraflow_speed
            if profile.contraflow_speed
            else np.full(cost.shape, np.inf)
        )
        bwd = np.where(binds & (net.seg_oneway == 1), against, bwd)
        fwd = np.where(binds & (net.seg_oneway == -1), against, fwd)
    return fwd, bwd


def _big(costs: FloatArray) -> FloatArray:
    out: FloatArray = np.where(np.isfinite(costs), costs, BIG)
    return out


def _prefix(along: FloatArray, ptr: IntArray) -> tuple[FloatArray, FloatArray]:
    """Cost from each chain's start to the start of each of its segments, and each chain's total."""
    csum = np.concatenate([[0.0], np.cumsum(along)])
    start = np.repeat(csum[ptr[:-1]], np.diff(ptr))
    pre: FloatArray = csum[:-1] - start
    tot: FloatArray = csum[ptr[1:]] - csum[ptr[:-1]]
    return pre, tot


def _csr_parts(
    net: RoadNetwork, ab: FloatArray, ba: FloatArray, n: int, *, reverse: bool = False
) -> Csr:
    """CSR arrays of the junction graph (cheapest of parallel chains) plus ``SLOTS`` spare rows."""
    a, b = net.chain_a, net.chain_b
    if reverse:
        a, b = b, a
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    w = np.concatenate([ab, ba])
    keep = (src != dst) & (w < PASSABLE)
    src, dst, w = src[keep], dst[keep], np.maximum(w[keep], 1e-3)
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.ones(src.size, dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    src, dst, w = src[first], dst[first], w[first]
    counts = np.concatenate([np.bincount(src, minlength=n), np.full(SLOTS, 2)])
    indptr = np.zeros(n + SLOTS + 1, dtype=np.int32)
    np.cumsum(counts, out=indptr[1:])
    slot_nodes = np.repeat(np.arange(n, n + SLOTS), 2)
    indices = np.concatenate([dst, slot_nodes]).astype(np.int32)
    data = np.concatenate([w, np.ones(2 * SLOTS)])
    return indptr, indices, data


def _sample_tree(net: RoadNetwork, segs: IntArray) -> tuple[Any, IntArray]:
    """A KD-tree over points every ``SAMPLE_M`` along the given segments, and their segments."""
    per = np.maximum(2, np.ceil(net.seg_length[segs] / SAMPLE_M).astype(np.int64) + 1)
    seg_of = np.repeat(segs, per)
    start = np.repeat(np.cumsum(per) - per, per)
    t = (np.arange(seg_of.size) - start) / np.repeat(per - 1, per)
    xy = net.xy(net.node_lonlat)
    pts = xy[net.seg_u[seg_of]] + t[:, None] * (xy[net.seg_v[seg_of]] - xy[net.seg_u[seg_of]])
    return cKDTree(pts), seg_of
