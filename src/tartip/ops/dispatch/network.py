"""The street and footpath network of a city, read from OSM roads (Geofabrik GeoJSON).

Ways become segments between vertices; vertices with the same coordinate (to 1e-6°) are one node,
which is how crossings are found in a file without OSM node ids. Runs of degree-2 nodes are
contracted into *chains* between junctions: the routing graph has ~39,000 junctions instead of
~137,000 vertices in Almaty, which makes every search ~3× cheaper. Chains keep their segments, so
points can still be snapped onto the exact segment (see ``osm.py``).

Building from the 9 MB GeoJSON takes ~2 s; ``RoadNetwork.load`` caches the result as a compressed
``.npz`` next to a hash of the source, so later starts take ~0.1 s. The GeoJSON stays the source.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from tartip.core.geo import EARTH_RADIUS_M

log = logging.getLogger(__name__)

CACHE_VERSION = 1
ONEWAY_CODE = {"B": 0, "F": 1, "T": -1}
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


def metres_per_degree(lat0: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude near latitude ``lat0``."""
    per_deg = EARTH_RADIUS_M * math.pi / 180.0
    return per_deg * math.cos(math.radians(lat0)), per_deg


@dataclass(frozen=True)
class RoadNetwork:
    """Segments of the network, the chains they form between junctions, and the junctions."""

    lat0: float
    node_lonlat: FloatArray  # (nodes, 2)
    seg_u: IntArray
    seg_v: IntArray
    seg_length: FloatArray  # metres
    seg_class: IntArray  # index into ``classes``
    seg_oneway: IntArray  # 0 both ways, 1 as drawn, -1 against
    seg_maxspeed: FloatArray  # km/h, NaN when untagged
    classes: tuple[str, ...]
    chain_ptr: IntArray  # chain c holds chain_seg[chain_ptr[c]:chain_ptr[c + 1]]
    chain_seg: IntArray
    chain_fwd: BoolArray  # the segment is drawn in the chain's direction
    chain_a: IntArray  # junction index of the chain's start
    chain_b: IntArray  # junction index of the chain's end
    seg_slot: IntArray  # position of each segment in chain_seg
    junction_node: IntArray  # node id of each junction

    @property
    def n_junctions(self) -> int:
        """Number of junctions (nodes of the routing graph)."""
        return int(self.junction_node.size)

    @property
    def seg_chain(self) -> IntArray:
        """The chain of every segment."""
        per_slot = np.repeat(np.arange(self.chain_ptr.size - 1), np.diff(self.chain_ptr))
        out = np.empty_like(self.seg_u)
        out[self.chain_seg] = per_slot
        return out

    def xy(self, lonlat: FloatArray) -> FloatArray:
        """Local metric coordinates (equirectangular at ``lat0``) of (lon, lat) rows."""
        mx, my = metres_per_degree(self.lat0)
        return np.column_stack([lonlat[:, 0] * mx, lonlat[:, 1] * my])

    @classmethod
    def from_geojson(cls, data: bytes) -> RoadNetwork:
        """Build the network from a Geofabrik roads GeoJSON document."""
        raw = _read_segments(orjson.loads(data))
        return _contract(raw)

    @classmethod
    def load(cls, path: Path, *, cache_dir: Path | None = None) -> RoadNetwork:
        """Read ``path`` (GeoJSON), through a ``.npz`` cache in ``cache_dir`` when given."""
        data = path.read_bytes()
        if cache_dir is None:
            return cls.from_geojson(data)
        digest = hashlib.sha1(data, usedforsecurity=False).hexdigest()[:16]
        cached = cache_dir / f"{path.stem}.v{CACHE_VERSION}.{digest}.npz"
        if cached.exists():
            try:
                return cls._from_npz(cached)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("network cache %s unreadable (%s); rebuilding", cached, exc)
        network = cls.from_geojson(data)
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp.npz")
        network._to_npz(tmp)
        tmp.replace(cached)
        return network

    def _to_npz(self, path: Path) -> None:
        arrays = {f.name: getattr(self, f.name) for f in fields(self)}
        arrays["classes"] = np.array(self.classes)
        arrays["lat0"] = np.array(self.lat0)
        np.savez_compressed(path, **arrays)

    @classmethod
    def _from_npz(cls, path: Path) -> RoadNetwork:
        with np.load(path, allow_pickle=False) as npz:
            values: dict[str, Any] = {f.name: npz[f.name] for f in fields(cls)}
        values["classes"] = tuple(str(c) for c in values["classes"])
        values["lat0"] = float(values["lat0"])
        return cls(**values)


@dataclass
class _RawSegments:
    lat0: float
    node_lonlat: FloatArray
    u: IntArray
    v: IntArray
    length: FloatArray
    cls: IntArray
    oneway: IntArray
    maxspeed: FloatArray
    classes: tuple[str, ...]


def _lines(feature: dict[str, Any]) -> list[list[list[float]]]:
    geom = feature.get("geometry") or {}
    if geom.get("type") == "LineString":
        return [geom["coordinates"]]
    if geom.get("type") == "MultiLineString":
        return list(geom["coordinates"])
    return []


def _read_segments(doc: dict[str, Any]) -> _RawSegments:
    """Vertices, and one segment per pair of consecutive vertices of every way."""
    coords: list[FloatArray] = []
    attrs: list[tuple[str, int, float]] = []
    for feature in doc.get("features", []):
        props = feature.get("properties") or {}
        oneway = ONEWAY_CODE.get(str(props.get("oneway") or "B"), 0)
        maxspeed = float(props.get("maxspeed") or math.nan)
        for line in _lines(feature):
            if len(line) >= 2:
                coords.append(np.asarray(line, dtype=np.float64)[:, :2])
                attrs.append((str(props.get("fclass") or "unknown"), oneway, maxspeed))
    counts = np.array([len(c) for c in coords])
    allc = np.concatenate(coords)
    classes = tuple(sorted({a[0] for a in attrs}))
    class_idx = {c: i for i, c in enumerate(classes)}
    keys = np.round(allc * 1e6).astype(np.int64)
    _, first, node = np.unique(
        keys[:, 0] * 1_000_000_000 + keys[:, 1], return_index=True, return_inverse=True
    )
    node_lonlat = allc[first]
    line_of = np.repeat(np.arange(len(coords)), counts)
    inner = np.ones(allc.shape[0] - 1, dtype=bool)
    inner[np.cumsum(counts)[:-1] - 1] = False  # no segment between two ways
    u, v = node[:-1][inner], node[1:][inner]
    lat0 = float(np.mean(node_lonlat[:, 1]))
    mx, my = metres_per_degree(lat0)
    d = np.diff(allc, axis=0)[inner]
    length = np.hypot(d[:, 0] * mx, d[:, 1] * my)
    owner = line_of[:-1][inner]
    keep = u != v
    return _RawSegments(
        lat0=lat0,
        node_lonlat=node_lonlat,
        u=u[keep].astype(np.int64),
        v=v[keep].astype(np.int64),
        length=length[keep],
        cls=np.array([class_idx[a[0]] for a in attrs], dtype=np.int64)[owner[keep]],
        oneway=np.array([a[1] for a in attrs], dtype=np.int64)[owner[keep]],
        maxspeed=np.array([a[2] for a in attrs], dtype=np.float64)[owner[keep]],
        classes=classes,
    )


def _incidence(n_nodes: int, u: IntArray, v: IntArray) -> tuple[IntArray, IntArray]:
    """CSR of node → incident segments."""
    ends = np.concatenate([u, v])
    segs = np.concatenate([np.arange(u.size), np.arange(v.size)])
    order = np.argsort(ends, kind="stable")
    ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(ends, minlength=n_nodes), out=ptr[1:])
    return ptr, segs[order]


class _ChainWalker:
    """Follows degree-2 nodes from a junction until the next junction."""

    def __init__(self, raw: _RawSegments) -> None:
        n = raw.node_lonlat.shape[0]
        self.u, self.v = raw.u.tolist(), raw.v.tolist()
        ptr, inc = _incidence(n, raw.u, raw.v)
        self.ptr, self.inc = ptr.tolist(), inc.tolist()
        degree = np.diff(ptr)
        self.junction = (degree != 2).tolist()
        self.used = [False] * raw.u.size
        self.segs: list[int] = []
        self.fwd: list[bool] = []
        self.ptr_out = [0]
        self.a: list[int] = []
        self.b: list[int] = []

    def walk(self, start: int, seg: int) -> None:
        """Record the chain that leaves node ``start`` by segment ``seg``."""
        node = start
        while True:
            self.used[seg] = True
            forward = self.u[seg] == node
            self.segs.append(seg)
            self.fwd.append(forward)
            node = self.v[seg] if forward else self.u[seg]
            if self.junction[node]:
                break
            first, second = self.inc[self.ptr[node]], self.inc[self.ptr[node] + 1]
            seg = second if first == seg else first
            if self.used[seg]:
                break
        self.a.append(start)
        self.b.append(node)
        self.ptr_out.append(len(self.segs))

    def run(self) -> None:
        """Walk every chain: from junctions first, then loops that have none."""
        for node, is_junction in enumerate(self.junction):
            if is_junction:
                for k in range(self.ptr[node], self.ptr[node + 1]):
                    if not self.used[self.inc[k]]:
                        self.walk(node, self.inc[k])
        for seg, used in enumerate(self.used):
            if not used:
                start = self.u[seg]
                self.junction[start] = True  # a closed loop: one of its nodes becomes a junction
                self.walk(start, seg)


def _contract(raw: _RawSegments) -> RoadNetwork:
    walker = _ChainWalker(raw)
    walker.run()
    junction_node = np.flatnonzero(np.array(walker.junction))
    index_of = np.full(raw.node_lonlat.shape[0], -1, dtype=np.int64)
    index_of[junction_node] = np.arange(junction_node.size)
    chain_seg = np.array(walker.segs, dtype=np.int64)
    seg_slot = np.empty_like(chain_seg)
    seg_slot[chain_seg] = np.arange(chain_seg.size)
    log.info(
        "road network: %d segments, %d nodes, %d junctions, %d chains",
        raw.u.size,
        raw.node_lonlat.shape[0],
        junction_node.size,
        len(walker.a),
    )
    return RoadNetwork(
        lat0=raw.lat0,
        node_lonlat=raw.node_lonlat,
        seg_u=raw.u,
        seg_v=raw.v,
        seg_length=raw.length,
        seg_class=raw.cls,
        seg_oneway=raw.oneway,
        seg_maxspeed=raw.maxspeed,
        classes=raw.classes,
        chain_ptr=np.array(walker.ptr_out, dtype=np.int64),
        chain_seg=chain_seg,
        chain_fwd=np.array(walker.fwd, dtype=bool),
        chain_a=index_of[np.array(walker.a, dtype=np.int64)],
        chain_b=index_of[np.array(walker.b, dtype=np.int64)],
        seg_slot=seg_slot,
        junction_node=junction_node,
    )
