"""Reading the live fleet picture: vehicles by filter, one vehicle's history, counts, grid clusters.

Every function takes the caller's ``Scope`` and never reaches past it: always the caller's city,
and for a company representative only that company's vehicles. A row outside the scope is treated
as if it did not exist (``NotFound``), so a representative cannot even learn a rival's ids.

Staleness is decided when reading: a vehicle is stale when the ingest flagged it (its feed is down
or stale) or when nobody has rewritten its row for longer than the ingest ever leaves it alone
(``stale_cutoff``), which catches a stopped worker as well.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, case, false, func, or_, select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import City, Company
from tartip.core.errors import InvalidInput, NotFound, Problem
from tartip.core.geo import is_valid_lon_lat
from tartip.fleet.enums import VehicleStatus
from tartip.fleet.models import Vehicle, VehicleChange, VehicleType

# On-screen size of one cluster cell, in pixels of a 256-pixel Web Mercator tile.
CLUSTER_CELL_PX = 80
MAX_ZOOM = 22
HISTORY_LIMIT = 20
# StrEnum members hash as their codes, so a code read from the database is found in this set.
KNOWN_STATUSES = frozenset(VehicleStatus)


@dataclass(frozen=True)
class BBox:
    """A WGS84 bounding box: west, south, east, north."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def parse(cls, text: str, *, where: str = "query.bbox") -> BBox:
        """A box from ``"minlon,minlat,maxlon,maxlat"``, or ``InvalidInput`` saying why not."""
        parts = text.split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4:
            raise InvalidInput(
                "bbox must be four numbers",
                problems=[Problem(where, "expected minlon,minlat,maxlon,maxlat")],
            )
        box = cls(*values)
        if not (
            is_valid_lon_lat(box.min_lon, box.min_lat)
            and is_valid_lon_lat(box.max_lon, box.max_lat)
        ):
            raise InvalidInput(
                "bbox is outside WGS84", problems=[Problem(where, "longitude ±180, latitude ±90")]
            )
        if box.min_lon > box.max_lon or box.min_lat > box.max_lat:
            raise InvalidInput(
                "bbox corners are swapped",
                problems=[Problem(where, "minlon must not exceed maxlon, nor minlat maxlat")],
            )
        return box

    def as_tuple(self) -> tuple[float, float, float, float]:
        """``(minlon, minlat, maxlon, maxlat)``, the GeoJSON ``bbox`` order."""
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)


@dataclass(frozen=True)
class VehicleFilter:
    """Which vehicles a list or an aggregation covers; empty tuples mean "any"."""

    companies: tuple[str, ...] = ()
    statuses: tuple[VehicleStatus, ...] = ()
    # True: stale only; False: fresh only; None: both.
    stale: bool | None = None
    bbox: BBox | None = None
    # Vehicles that left the feed (on a trip, collected) are kept a while; hidden by default.
    in_feed_only: bool = True


@dataclass(frozen=True)
class VehicleRow:
    """A vehicle as lists show it: with its company and whether it is stale."""

    vehicle: Vehicle
    company: Company
    stale: bool


@dataclass(frozen=True)
class VehiclePage:
    """One page of vehicles and how many match in all."""

    rows: list[VehicleRow]
    total: int


@dataclass(frozen=True)
class VehicleDetail:
    """One vehicle with its type and its recent changes, newest first."""

    row: VehicleRow
    vehicle_type: VehicleType | None
    history: list[VehicleChange]


@dataclass
class CompanyCounts:
    """How many of a company's vehicles are in each status, and how many are stale."""

    company: Company
    by_status: dict[VehicleStatus, int] = field(
        default_factory=lambda: dict.fromkeys(VehicleStatus, 0)
    )
    stale: int = 0

    @property
    def total(self) -> int:
        """Every vehicle of the company in the feed."""
        return sum(self.by_status.values())


@dataclass(frozen=True)
class ClusterCell:
    """One grid cell: its vehicles' centre of mass, their count and the count per company slug."""

    cell: BBox
    lon: float
    lat: float
    count: int
    by_company: dict[str, int]


@dataclass
class _CellSum:
    count: int = 0
    sum_lon: float = 0.0
    sum_lat: float = 0.0
    by_company: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterGrid:
    """The vehicles of a box counted per grid cell; the box is snapped out to whole cells."""

    zoom: int
    cell_lon: float
    cell_lat: float
    bbox: BBox | None
    cells: list[ClusterCell]

    @property
    def total(self) -> int:
        """Every vehicle counted."""
        return sum(c.count for c in self.cells)


def stale_cutoff(*, now: datetime, stale_after_s: float, refresh_s: float) -> datetime:
    """Rows last rewritten before this moment are stale whatever their flag says.

    The ingest rewrites an unchanged vehicle only every ``refresh_s``, so a row may legitimately be
    that old; one older than that plus ``stale_after_s`` means no poll has seen it for too long.
    """
    return now - timedelta(seconds=stale_after_s + refresh_s)


def _stale_expr(stale_before: datetime) -> ColumnElement[bool]:
    return or_(Vehicle.is_stale, Vehicle.last_seen_at < stale_before)


def _scope_clauses(scope: Scope) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [Vehicle.city_id == scope.city_id]
    company_ids = scope.visible_company_ids(None)
    if company_ids is not None:
        clauses.append(Vehicle.company_id.in_(company_ids) if company_ids else false())
    return clauses


def _filter_clauses(
    scope: Scope, filters: VehicleFilter, stale_before: datetime
) -> list[ColumnElement[bool]]:
    clauses = _scope_clauses(scope)
    if filters.in_feed_only:
        clauses.append(Vehicle.in_feed.is_(True))
    if filters.companies:
        clauses.append(Company.slug.in_(filters.companies))
    if filters.statuses:
        clauses.append(Vehicle.status.in_([s.value for s in filters.statuses]))
    if filters.stale is not None:
        stale = _stale_expr(stale_before)
        clauses.append(stale if filters.stale else ~stale)
    if filters.bbox is not None:
        box = filters.bbox
        clauses.append(Vehicle.lon.between(box.min_lon, box.max_lon))
        clauses.append(Vehicle.lat.between(box.min_lat, box.max_lat))
    return clauses


def _rows_select(stale_before: datetime) -> Select[Vehicle, Company, bool]:
    stale = case((_stale_expr(stale_before), True), else_=False).label("stale")
    return select(Vehicle, Company, stale).join(Company, Company.id == Vehicle.company_id)


def list_vehicles(
    db: Session,
    *,
    scope: Scope,
    filters: VehicleFilter,
    stale_before: datetime,
    offset: int = 0,
    limit: int = 100,
) -> VehiclePage:
    """The vehicles matching ``filters`` in the caller's scope, oldest row first, one page."""
    clauses = _filter_clauses(scope, filters, stale_before)
    count_stmt = (
        select(func.count(Vehicle.id))
        .join(Company, Company.id == Vehicle.company_id)
        .where(*clauses)
    )
    total = db.scalar(count_stmt) or 0
    stmt = (
        _rows_select(stale_before).where(*clauses).order_by(Vehicle.id).offset(offset).limit(limit)
    )
    rows = [VehicleRow(vehicle=v, company=c, stale=bool(s)) for v, c, s in db.execute(stmt)]
    return VehiclePage(rows=rows, total=total)


def get(
    db: Session, *, scope: Scope, vehicle_id: int, stale_before: datetime
) -> VehicleDetail | None:
    """One vehicle (by Tartip's id) with its type and recent history, if the caller may see it."""
    stmt = _rows_select(stale_before).where(Vehicle.id == vehicle_id, *_scope_clauses(scope))
    found = db.execute(stmt).first()
    if found is None:
        return None
    vehicle, company, stale = found
    vehicle_type = None
    if vehicle.vehicle_type_id is not None:
        vehicle_type = db.scalars(
            select(VehicleType).where(
                VehicleType.feed_id == vehicle.feed_id,
                VehicleType.vehicle_type_id == vehicle.vehicle_type_id,
            )
        ).first()
    history = db.scalars(
        select(VehicleChange)
        .where(
            VehicleChange.city_id == vehicle.city_id,
            VehicleChange.feed_id == vehicle.feed_id,
            VehicleChange.vehicle_id == vehicle.vehicle_id,
        )
        .order_by(VehicleChange.at.desc(), VehicleChange.id.desc())
        .limit(HISTORY_LIMIT)
    )
    row = VehicleRow(vehicle=vehicle, company=company, stale=bool(stale))
    return VehicleDetail(row=row, vehicle_type=vehicle_type, history=list(history))


def get_or_raise(
    db: Session, *, scope: Scope, vehicle_id: int, stale_before: datetime
) -> VehicleDetail:
    """One vehicle as ``get`` finds it, or ``NotFound`` (also for a rival company's vehicle)."""
    detail = get(db, scope=scope, vehicle_id=vehicle_id, stale_before=stale_before)
    if detail is None:
        raise NotFound("no such vehicle")
    return detail


def list_companies(db: Session, *, scope: Scope) -> list[Company]:
    """The sharing companies of the caller's city; a representative sees only their own."""
    companies = cities_service.list_companies(db, city_id=scope.city_id)
    visible = scope.visible_company_ids(None)
    if visible is None:
        return companies
    return [c for c in companies if c.id in visible]


def get_city_or_raise(db: Session, *, scope: Scope) -> City:
    """The caller's city."""
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound("no such city")
    return city


def summarise(db: Session, *, scope: Scope, stale_before: datetime) -> list[CompanyCounts]:
    """Vehicles in the feed per visible company × status, with the stale ones counted apart."""
    counts = {c.id: CompanyCounts(company=c) for c in list_companies(db, scope=scope)}
    stale = func.sum(case((_stale_expr(stale_before), 1), else_=0))
    stmt = (
        select(Vehicle.company_id, Vehicle.status, func.count(Vehicle.id), stale)
        .where(*_scope_clauses(scope), Vehicle.in_feed.is_(True))
        .group_by(Vehicle.company_id, Vehicle.status)
    )
    for company_id, status, n, n_stale in db.execute(stmt):
        entry = counts.get(company_id)
        if entry is None or status not in KNOWN_STATUSES:
            continue  # a company of another city, or a status this version does not know
        entry.by_status[VehicleStatus(status)] += int(n)
        entry.stale += int(n_stale or 0)
    return list(counts.values())


def cell_size(zoom: int, lat: float) -> tuple[float, float]:
    """Degrees of longitude and latitude of a cluster cell that looks square at ``zoom``.

    Latitude is rounded to a whole degree so the grid stays put while the map pans.
    """
    cell_lon = 360.0 / (256 * 2**zoom) * CLUSTER_CELL_PX
    # Web Mercator stretches latitude by 1/cos(lat); a cell that looks square is shorter.
    return cell_lon, cell_lon * math.cos(math.radians(round(lat)))


def _snap(box: BBox, cell_lon: float, cell_lat: float) -> BBox:
    # Whole cells only: a cell cut by the edge of the view would show a partial count.
    return BBox(
        math.floor(box.min_lon / cell_lon) * cell_lon,
        math.floor(box.min_lat / cell_lat) * cell_lat,
        (math.floor(box.max_lon / cell_lon) + 1) * cell_lon,
        (math.floor(box.max_lat / cell_lat) + 1) * cell_lat,
    )


def cluster(
    db: Session, *, scope: Scope, filters: VehicleFilter, zoom: int, stale_before: datetime
) -> ClusterGrid:
    """The matching vehicles counted per grid cell, per company: one GROUP BY in the database.

    Cells are anchored at (0°, 0°), so a cell keeps its place and its count while the map pans.
    """
    if not 0 <= zoom <= MAX_ZOOM:
        raise InvalidInput("zoom out of range", problems=[Problem("query.zoom", "0 to 22")])
    box = filters.bbox
    lat = (box.min_lat + box.max_lat) / 2 if box else get_city_or_raise(db, scope=scope).center_lat
    cell_lon, cell_lat = cell_size(zoom, lat)
    snapped = _snap(box, cell_lon, cell_lat) if box else None
    clauses = _filter_clauses(scope, replace(filters, bbox=snapped), stale_before)
    inner = (
        select(
            func.floor(Vehicle.lon / cell_lon).label("cx"),
            func.floor(Vehicle.lat / cell_lat).label("cy"),
            Company.slug.label("company"),
            Vehicle.lon,
            Vehicle.lat,
        )
        .join(Company, Company.id == Vehicle.company_id)
        .where(*clauses)
        .subquery()
    )
    # Grouping on the subquery's columns: the same cell expression cannot be repeated with
    # separate bound parameters, which PostgreSQL would not recognise as one grouping key.
    stmt = select(
        inner.c.cx,
        inner.c.cy,
        inner.c.company,
        func.count(),
        func.sum(inner.c.lon),
        func.sum(inner.c.lat),
    ).group_by(inner.c.cx, inner.c.cy, inner.c.company)
    cells = _merge_cells(db.execute(stmt), cell_lon, cell_lat)
    return ClusterGrid(zoom=zoom, cell_lon=cell_lon, cell_lat=cell_lat, bbox=snapped, cells=cells)


def _merge_cells(
    groups: Iterable[tuple[float, float, str, int, float, float]], cell_lon: float, cell_lat: float
) -> list[ClusterCell]:
    """One cell per (cx, cy) from the database's groups of (cell, company)."""
    acc: dict[tuple[int, int], _CellSum] = {}
    for cx, cy, company, n, sum_lon, sum_lat in groups:
        cell = acc.setdefault((int(cx), int(cy)), _CellSum())
        cell.count += int(n)
        cell.sum_lon += float(sum_lon)
        cell.sum_lat += float(sum_lat)
        cell.by_company[company] = int(n)
    return [
        ClusterCell(
            cell=BBox(cx * cell_lon, cy * cell_lat, (cx + 1) * cell_lon, (cy + 1) * cell_lat),
            lon=c.sum_lon / c.count,
            lat=c.sum_lat / c.count,
            count=c.count,
            by_company=c.by_company,
        )
        for (cx, cy), c in sorted(acc.items())
    ]
