"""The detectors: from a fleet snapshot and the zones in force to detections, with no database.

``detect`` joins every vehicle with the zones it stands in (``ZoneIndex``) once, then each rule is
a few numpy passes over the (vehicle, zone) pairs. A detection carries a stable ``key`` (kind +
zone + company, a vehicle's row, or a clutter's cell) so the same condition seen again is the same
violation (``service.reconcile``).

Overlaps (decision 0020): a vehicle inside an active parking place is never "left in a no-parking
area", "in a no-ride zone" or "outside parking", and is not part of a clutter (the place's capacity
governs it). A vehicle in several overlapping zones of one kind is counted once, for the oldest
zone (lowest id). Capacity, duty load and zone caps count every vehicle in the zone.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from tartip.compliance.clutter import find_clutters
from tartip.compliance.enums import ViolationKind
from tartip.compliance.rulebook import NONE, RuleBook
from tartip.compliance.snapshot import DISABLED, FleetSnapshot
from tartip.core.geo import METRES_PER_DEGREE
from tartip.zones.enums import ZoneKind

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
# Clutters are keyed by the cell of this grid holding their centre (with matching in reconcile).
CLUTTER_KEY_CELL_M = 50.0


@dataclass(slots=True)
class Detection:
    """One condition seen now: which rule, where, whose, how many, and the vehicles as evidence."""

    kind: ViolationKind
    key: str
    zone_id: int | None
    company_id: int | None
    count: int
    limit: float | None
    vehicles: IntArray  # indices into the snapshot
    lon: float
    lat: float
    since: float | None = None  # the earliest "parked since" of the vehicles (POSIX seconds)

    def fingerprint(self, snapshot: FleetSnapshot) -> str:
        """A short text that changes with the count, the limit, the vehicles or the place.

        The place is rounded to about 10 m, so the map follows a moving clutter without GPS
        jitter rewriting every row at every poll.
        """
        rows = np.sort(snapshot.row_id[self.vehicles])
        place = f"{self.lon:.4f},{self.lat:.4f}"
        return f"{self.count}/{self.limit}/{zlib.crc32(rows.tobytes()):08x}/{place}"


@dataclass
class DetectionResult:
    """What one evaluation found: the detections and each duty zone's load (vehicles inside)."""

    detections: list[Detection] = field(default_factory=list)
    zone_loads: dict[int, int] = field(default_factory=dict)  # duty zones only
    pairs: int = 0

    def of_kind(self, kind: ViolationKind) -> list[Detection]:
        """The detections of one kind."""
        return [d for d in self.detections if d.kind is kind]


@dataclass
class _Join:
    """The (vehicle, zone) pairs in force, with per-vehicle flags derived from them."""

    vi: IntArray
    zi: IntArray
    in_parking: BoolArray
    parked_s: NDArray[np.float64]
    active: BoolArray  # per rule: whether it applies now
    _by_zone: tuple[IntArray, IntArray] | None = None

    def in_zones(self, zones: IntArray) -> list[IntArray]:
        """The vehicles in each of ``zones`` (pairs sorted by zone once, then sliced)."""
        if self._by_zone is None:
            order = np.argsort(self.zi, kind="stable")
            self._by_zone = (self.zi[order], self.vi[order])
        zi, vi = self._by_zone
        starts = np.searchsorted(zi, zones, side="left")
        ends = np.searchsorted(zi, zones, side="right")
        return [vi[a:b] for a, b in zip(starts, ends, strict=True)]


def detect(snapshot: FleetSnapshot, book: RuleBook, *, at: datetime) -> DetectionResult:
    """Run every detector over ``snapshot`` against the rules of ``book`` active at ``at``."""
    join = _join(snapshot, book, at=at)
    result = DetectionResult(pairs=len(join.vi))
    loads = np.bincount(join.zi, minlength=len(book))
    duty = np.flatnonzero(book.of_kind(ZoneKind.duty))
    result.zone_loads = {int(book.zone_id[z]): int(loads[z]) for z in duty}
    found = result.detections
    taken = np.zeros(len(snapshot), dtype=bool)
    for kind, zone_kind in (
        (ViolationKind.no_parking, ZoneKind.no_parking),
        (ViolationKind.no_ride, ZoneKind.no_ride),
    ):
        found += _left_in_zones(snapshot, book, join, kind, zone_kind, taken)
    found += _outside_parking(snapshot, book, join, taken)
    found += _over_limit(snapshot, book, join, loads, ZoneKind.parking)
    found += _over_limit(snapshot, book, join, loads, ZoneKind.duty)
    found += _clutters(snapshot, book, join)
    found += _standing_too_long(snapshot, book, join)
    found += _fleet_caps(snapshot, book, join)
    found += _outside_service_area(snapshot, book, join)
    return result


def _join(snapshot: FleetSnapshot, book: RuleBook, *, at: datetime) -> _Join:
    vi, zi = book.index.join(snapshot.lon, snapshot.lat)
    active = book.active(at)
    keep = active[zi]
    for z, companies in book.restricted.items():
        # A rule for some companies only: other companies' vehicles are not "in" that zone.
        keep &= ~((zi == z) & ~np.isin(snapshot.company[vi], list(companies)))
    vi, zi = vi[keep], zi[keep]
    in_parking = np.zeros(len(snapshot), dtype=bool)
    in_parking[vi[book.of_kind(ZoneKind.parking)[zi]]] = True
    parked_s = snapshot.at - snapshot.parked_since
    return _Join(vi=vi, zi=zi, in_parking=in_parking, parked_s=parked_s, active=active)


def _first_zone(vi: IntArray, zi: IntArray) -> tuple[IntArray, IntArray]:
    """Each vehicle once, with the lowest zone index among its pairs (the oldest zone)."""
    order = np.lexsort((zi, vi))
    vi, zi = vi[order], zi[order]
    first = np.ones(len(vi), dtype=bool)
    first[1:] = vi[1:] != vi[:-1]
    return vi[first], zi[first]


def _groups(keys: IntArray, members: IntArray) -> Iterator[tuple[int, IntArray]]:
    """``members`` grouped by equal ``keys``."""
    if not len(keys):
        return
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    uniq, starts = np.unique(sorted_keys, return_index=True)
    for key, group in zip(uniq, np.split(members[order], starts[1:]), strict=True):
        yield int(key), group


def _zone_company_groups(
    snapshot: FleetSnapshot, vi: IntArray, zi: IntArray
) -> Iterator[tuple[int, int, IntArray]]:
    """Vehicles grouped by (zone index, company id)."""
    companies, cidx = np.unique(snapshot.company[vi], return_inverse=True)
    width = max(len(companies), 1)
    for key, members in _groups(zi * width + cidx.astype(np.int64), vi):
        yield key // width, int(companies[key % width]), members


def _since(snapshot: FleetSnapshot, members: IntArray) -> float | None:
    return float(np.minimum.reduce(snapshot.parked_since[members])) if len(members) else None


def _centre(snapshot: FleetSnapshot, members: IntArray) -> tuple[float, float]:
    # sum / n rather than mean(): mean's bookkeeping dominates for thousands of small groups.
    n = len(members)
    return float(snapshot.lon[members].sum()) / n, float(snapshot.lat[members].sum()) / n


def _zone_detection(
    snapshot: FleetSnapshot,
    book: RuleBook,
    kind: ViolationKind,
    z: int,
    company_id: int | None,
    members: IntArray,
    limit: float | None,
) -> Detection:
    zone_id = int(book.zone_id[z])
    key = f"{kind.value}:z{zone_id}" + ("" if company_id is None else f":c{company_id}")
    return _group_detection(snapshot, kind, key, zone_id, company_id, members, limit)


def _group_detection(
    snapshot: FleetSnapshot,
    kind: ViolationKind,
    key: str,
    zone_id: int | None,
    company_id: int | None,
    members: IntArray,
    limit: float | None,
) -> Detection:
    """A detection about a group of vehicles: counted, at their centre, dated by the first."""
    lon, lat = _centre(snapshot, members)
    return Detection(
        kind=kind,
        key=key,
        zone_id=zone_id,
        company_id=company_id,
        count=len(members),
        limit=limit,
        vehicles=members,
        lon=lon,
        lat=lat,
        since=_since(snapshot, members),
    )


def _left_in_zones(
    snapshot: FleetSnapshot,
    book: RuleBook,
    join: _Join,
    kind: ViolationKind,
    zone_kind: ZoneKind,
    taken: BoolArray,
) -> list[Detection]:
    """Vehicles left in zones of ``zone_kind`` (outside parking places), per zone and company."""
    vi, zi = join.vi, join.zi
    pick = book.of_kind(zone_kind)[zi] & ~join.in_parking[vi]
    pick &= join.parked_s[vi] >= book.min_parked_s[zi]
    vi, zi = _first_zone(vi[pick], zi[pick])
    taken[vi] = True
    found = []
    for z, company_id, members in _zone_company_groups(snapshot, vi, zi):
        if len(members) >= book.min_vehicles[z]:
            found.append(_zone_detection(snapshot, book, kind, z, company_id, members, None))
    return found


def _outside_parking(
    snapshot: FleetSnapshot, book: RuleBook, join: _Join, taken: BoolArray
) -> list[Detection]:
    """Vehicles left outside parking places where parking places are required."""
    vi, zi = join.vi, join.zi
    pick = book.parking_required[zi] & ~join.in_parking[vi] & ~taken[vi]
    pick &= join.parked_s[vi] >= book.min_parked_s[zi]
    vi, zi = _first_zone(vi[pick], zi[pick])
    found = []
    for z, company_id, members in _zone_company_groups(snapshot, vi, zi):
        if len(members) >= book.min_vehicles[z]:
            found.append(
                _zone_detection(
                    snapshot, book, ViolationKind.outside_parking, z, company_id, members, None
                )
            )
    if not book.city.parking_required:
        return found
    counted = taken.copy()
    counted[vi] = True
    rest = np.flatnonzero(
        ~join.in_parking & ~counted & (join.parked_s >= book.city.min_parked_s)
    ).astype(np.int64)
    found += _per_company(
        snapshot, ViolationKind.outside_parking, rest, None, book.city.min_vehicles
    )
    return found


def _per_company(
    snapshot: FleetSnapshot,
    kind: ViolationKind,
    vehicles: IntArray,
    limit: float | None,
    min_vehicles: int,
) -> list[Detection]:
    """City-wide detections: the vehicles grouped by company."""
    found = []
    for company_id, members in _groups(snapshot.company[vehicles], vehicles):
        if len(members) < min_vehicles:
            continue
        key = f"{kind.value}:c{company_id}"
        found.append(_group_detection(snapshot, kind, key, None, company_id, members, limit))
    return found


def _over_limit(
    snapshot: FleetSnapshot, book: RuleBook, join: _Join, loads: IntArray, zone_kind: ZoneKind
) -> list[Detection]:
    """Parking places over capacity, or duty zones over their target load (all companies)."""
    limits = book.capacity_limit if zone_kind is ZoneKind.parking else book.target_load
    kind = (
        ViolationKind.over_capacity
        if zone_kind is ZoneKind.parking
        else ViolationKind.duty_overload
    )
    # Exactly at the limit is not a violation: only more than it.
    over = np.flatnonzero(book.of_kind(zone_kind) & (limits != NONE) & (loads > limits))
    if not len(over):
        return []
    found = []
    for z, members in zip(over, join.in_zones(over), strict=True):
        found.append(_zone_detection(snapshot, book, kind, int(z), None, members, float(limits[z])))
    return found


def _clutters(snapshot: FleetSnapshot, book: RuleBook, join: _Join) -> list[Detection]:
    """More than N vehicles within R metres, outside parking places, anywhere in the city.

    N and R are the city's, or where a vehicle stands in zones that set them (per zone or zone
    kind), the strictest of those zones' (the fewest vehicles, the widest radius).
    """
    city, n = book.city, len(snapshot)
    loose = np.flatnonzero(~join.in_parking).astype(np.int64)
    count = _where_zones_set(n, join, city.clutter_count, book.clutter_count)[loose]
    radius = _where_zones_set(
        n, join, city.clutter_radius_m, book.clutter_radius_m, larger_is_stricter=True
    )[loose]
    found = []
    for clutter in find_clutters(
        snapshot.lon[loose], snapshot.lat[loose], radius_m=radius, more_than=count
    ):
        members = loose[clutter.members]
        companies = np.unique(snapshot.company[members])
        lon, lat = _centre(snapshot, members)
        cell_x = int(
            np.floor(lon * METRES_PER_DEGREE * np.cos(np.radians(lat)) / CLUTTER_KEY_CELL_M)
        )
        cell_y = int(np.floor(lat * METRES_PER_DEGREE / CLUTTER_KEY_CELL_M))
        found.append(
            Detection(
                kind=ViolationKind.clutter,
                key=f"clutter:g{cell_x}_{cell_y}",
                zone_id=None,
                # A clutter of one company's vehicles is that company's; a mixed one is nobody's.
                company_id=int(companies[0]) if len(companies) == 1 else None,
                count=len(members),
                limit=float(count[clutter.centres].min()),
                vehicles=members,
                lon=lon,
                lat=lat,
                since=_since(snapshot, members),
            )
        )
    return found


def _standing_too_long(snapshot: FleetSnapshot, book: RuleBook, join: _Join) -> list[Detection]:
    """Single vehicles parked too long without a trip, or left disabled too long."""
    city = book.city
    n = len(snapshot)
    parked_limit = _where_zones_set(n, join, city.parked_too_long_s, book.parked_too_long_s)
    disabled_limit = _where_zones_set(n, join, city.disabled_too_long_s, book.disabled_too_long_s)
    disabled = snapshot.status == DISABLED
    disabled_s = snapshot.at - snapshot.disabled_since
    found = []
    checks = (
        (ViolationKind.parked_too_long, ~disabled & (join.parked_s > parked_limit), parked_limit),
        (ViolationKind.disabled_too_long, disabled & (disabled_s > disabled_limit), disabled_limit),
    )
    for kind, hits, limits in checks:
        for v in np.flatnonzero(hits):
            found.append(
                Detection(
                    kind=kind,
                    key=f"{kind.value}:v{int(snapshot.row_id[v])}",
                    zone_id=None,
                    company_id=int(snapshot.company[v]),
                    count=1,
                    limit=float(limits[v]),
                    vehicles=np.array([v], dtype=np.int64),
                    lon=float(snapshot.lon[v]),
                    lat=float(snapshot.lat[v]),
                    since=float(snapshot.parked_since[v]),
                )
            )
    return found


def _where_zones_set(
    n: int,
    join: _Join,
    city_value: float,
    zone_values: NDArray[np.float64],
    *,
    larger_is_stricter: bool = False,
) -> NDArray[np.float64]:
    """Each vehicle's value: the strictest set (not NaN) by the zones it stands in, else the city's.

    A zone's value wins over the city's even where it is more lenient.
    """
    values = np.full(n, float(city_value))
    if not len(zone_values) or np.isnan(zone_values).all():  # most cities set none: no scatter
        return values
    pick = ~np.isnan(zone_values[join.zi])
    sign = -1.0 if larger_is_stricter else 1.0
    best = np.full(n, np.inf)
    np.minimum.at(best, join.vi[pick], sign * zone_values[join.zi[pick]])
    set_here = np.isfinite(best)
    values[set_here] = sign * best[set_here]
    return values


def _fleet_caps(snapshot: FleetSnapshot, book: RuleBook, join: _Join) -> list[Detection]:
    """Companies with more vehicles than their cap, in the city and in capped zones."""
    city = book.city
    found = []
    everyone = np.arange(len(snapshot), dtype=np.int64)
    for company_id, members in _groups(snapshot.company, everyone):
        slug = snapshot.company_slugs.get(company_id, "")
        cap = city.fleet_caps.get(slug, city.fleet_cap)
        if cap is not None and len(members) > cap:
            found += _per_company(snapshot, ViolationKind.fleet_cap, members, float(cap), 1)
    capped = np.array(book.capped_zones(), dtype=np.int64)
    for z, in_zone in zip(capped, join.in_zones(capped), strict=True):
        caps = book.zone_caps(int(z))
        assert caps is not None
        for company_id, members in _groups(snapshot.company[in_zone], in_zone):
            cap = caps.for_company(company_id, snapshot.company_slugs.get(company_id, ""))
            if cap is not None and len(members) > cap:
                found.append(
                    _zone_detection(
                        snapshot,
                        book,
                        ViolationKind.fleet_cap,
                        int(z),
                        company_id,
                        members,
                        float(cap),
                    )
                )
    return found


def _outside_service_area(snapshot: FleetSnapshot, book: RuleBook, join: _Join) -> list[Detection]:
    """Vehicles of a company outside every service area that applies to it."""
    areas = np.flatnonzero(book.of_kind(ZoneKind.service_area) & join.active)
    if not len(areas):
        return []
    bound: set[int] | None = set()
    for z in areas:
        companies = book.restricted.get(int(z))
        if companies is None:
            bound = None  # an area for every company binds them all
            break
        assert bound is not None
        bound |= companies
    inside = np.zeros(len(snapshot), dtype=bool)
    inside[join.vi[book.of_kind(ZoneKind.service_area)[join.zi]]] = True
    # About service areas as a whole: the kind's thresholds (no single area to ask).
    subject = ~inside & (join.parked_s >= book.service_area.min_parked_s)
    if bound is not None:
        subject &= np.isin(snapshot.company, list(bound))
    vehicles = np.flatnonzero(subject).astype(np.int64)
    return _per_company(
        snapshot,
        ViolationKind.outside_service_area,
        vehicles,
        None,
        book.service_area.min_vehicles,
    )
