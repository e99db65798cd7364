"""The JSON shapes of the dashboards: the live picture, trends, hex map, complaints by district."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from tartip.core.schemas import TartipModel
from tartip.reports.dashboards import LiveBoard
from tartip.reports.dashboards_city import Trends
from tartip.reports.dashboards_maps import DistrictComplaints, HexMap


class CompanyFleetRead(TartipModel):
    """One company's vehicles in its feed, by status, with the stale ones counted apart."""

    company: str
    name: str
    available: int
    reserved: int
    disabled: int
    stale: int
    total: int


class ViolationKindRead(TartipModel):
    """One kind of violation: open now, opened and cleared since local midnight."""

    kind: str
    open: int
    opened_today: int
    cleared_today: int


class ViolationsRead(TartipModel):
    """Violations now and today."""

    open: int
    opened_today: int
    cleared_today: int
    by_kind: list[ViolationKindRead]


class TasksRead(TartipModel):
    """Tasks by state, staff on shift now, scooters put in order today."""

    open: int
    open_by_state: dict[str, int]
    closed_today: dict[str, int]
    scouts_on_duty: int
    scouts_expected: int
    put_in_order_today: int
    put_in_order_by_company: dict[str, int]


class DutyZoneBoardRead(TartipModel):
    """One duty zone: load against target, open violations, coverage and who watches it."""

    zone_id: int
    name: str
    code: str | None
    load: int
    target_load: int | None
    over_target: bool
    open_violations: int
    coverage: str
    scouts: list[str]


class FeedHealthRead(TartipModel):
    """One feed's health (never its address's secrets or its credentials)."""

    feed_id: int
    company: str
    protocol: str
    health: str
    enabled: bool
    last_success_at: datetime | None
    data_updated_at: datetime | None
    vehicle_count: int | None
    consecutive_failures: int


class LiveRead(TartipModel):
    """The live operations dashboard as of ``as_of`` (``day``: the city's local day)."""

    as_of: datetime
    day: date
    vehicles: int
    fleet: list[CompanyFleetRead]
    violations: ViolationsRead
    tasks: TasksRead
    duty_zones: list[DutyZoneBoardRead]
    uncovered_zones: int
    over_target_zones: int
    feeds: list[FeedHealthRead]
    feeds_down: int

    @staticmethod
    def from_board(board: LiveBoard) -> LiveRead:
        """The wire form of a live board."""
        t = board.tasks
        return LiveRead(
            as_of=board.as_of,
            day=board.day,
            vehicles=board.vehicles,
            fleet=[
                CompanyFleetRead(
                    company=c.company.slug,
                    name=c.company.name,
                    **{s.value: n for s, n in c.by_status.items()},
                    stale=c.stale,
                    total=c.total,
                )
                for c in board.fleet
            ],
            violations=ViolationsRead(
                open=board.violations.open,
                opened_today=board.violations.opened_today,
                cleared_today=board.violations.cleared_today,
                by_kind=[
                    ViolationKindRead(
                        kind=r.kind.value,
                        open=r.open,
                        opened_today=r.opened_today,
                        cleared_today=r.cleared_today,
                    )
                    for r in board.violations.rows
                ],
            ),
            tasks=TasksRead(
                open=t.open,
                open_by_state={s.value: n for s, n in t.open_by_state.items()},
                closed_today={s.value: n for s, n in t.closed_today.items()},
                scouts_on_duty=t.scouts_on_duty,
                scouts_expected=t.scouts_expected,
                put_in_order_today=t.put_in_order_today,
                put_in_order_by_company={c.slug: n for c, n in t.put_in_order_by_company},
            ),
            duty_zones=[
                DutyZoneBoardRead(
                    zone_id=z.status.zone_id,
                    name=z.status.name,
                    code=z.status.code,
                    load=z.status.load,
                    target_load=z.status.target_load,
                    over_target=z.status.over_target,
                    open_violations=z.status.open_violations,
                    coverage=z.coverage.value,
                    scouts=list(z.scouts),
                )
                for z in board.duty_zones
            ],
            uncovered_zones=board.uncovered_zones,
            over_target_zones=board.over_target_zones,
            feeds=[
                FeedHealthRead(
                    feed_id=f.feed_id,
                    company=f.company.slug,
                    protocol=f.protocol,
                    health=f.health.value,
                    enabled=f.enabled,
                    last_success_at=f.last_success_at,
                    data_updated_at=f.data_updated_at,
                    vehicle_count=f.vehicle_count,
                    consecutive_failures=f.consecutive_failures,
                )
                for f in board.feeds
            ],
            feeds_down=board.feeds_down,
        )


class TrendBucketRead(TartipModel):
    """One week (labelled by its Monday) or month (``YYYY-MM``)."""

    label: str
    first_day: date
    start: datetime
    end: datetime


class TrendsRead(TartipModel):
    """Counts per bucket for each series; ``series[name][i]`` belongs to ``buckets[i]``."""

    step: str
    buckets: list[TrendBucketRead]
    series: dict[str, list[int]]

    @staticmethod
    def from_trends(found: Trends) -> TrendsRead:
        """The wire form of the trends."""
        return TrendsRead(
            step=found.step.value,
            buckets=[
                TrendBucketRead(label=b.label, first_day=b.first, start=b.start, end=b.end)
                for b in found.buckets
            ],
            series={k.value: list(v) for k, v in found.series.items()},
        )


class HexProperties(TartipModel):
    """A hexagon's count and axial coordinates."""

    q: int
    r: int
    count: int


class HexFeature(TartipModel):
    """One hexagon as a GeoJSON feature."""

    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any]
    properties: HexProperties


class HexMapRead(TartipModel):
    """The hex map as a GeoJSON FeatureCollection, with the period and the counts by hour."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    layer: str
    first: date
    last: date
    hour: int | None
    size_m: int
    total: int
    by_hour: list[int] = Field(description="24 counts by local hour of opening, whole period")
    features: list[HexFeature]

    @staticmethod
    def from_map(found: HexMap) -> HexMapRead:
        """The wire form of a hex map."""
        return HexMapRead(
            layer=found.layer.value,
            first=found.period.first,
            last=found.period.last,
            hour=found.hour,
            size_m=found.size_m,
            total=found.total,
            by_hour=list(found.by_hour),
            features=[
                HexFeature(
                    geometry={"type": "Polygon", "coordinates": [[list(p) for p in b.ring]]},
                    properties=HexProperties(q=b.q, r=b.r, count=b.count),
                )
                for b in found.bins
            ],
        )


class DistrictRowRead(TartipModel):
    """Complaints about places in one district (``key`` ``outside``: in none)."""

    key: str
    name: str
    total: int
    open: int
    overdue: int


class DistrictComplaintsRead(TartipModel):
    """Complaints received in ``first``..``last`` by district."""

    first: date
    last: date
    total: int
    districts: list[DistrictRowRead]

    @staticmethod
    def from_found(found: DistrictComplaints) -> DistrictComplaintsRead:
        """The wire form."""
        return DistrictComplaintsRead(
            first=found.period.first,
            last=found.period.last,
            total=found.total,
            districts=[
                DistrictRowRead(
                    key=r.key, name=r.name, total=r.total, open=r.open, overdue=r.overdue
                )
                for r in found.rows
            ],
        )
