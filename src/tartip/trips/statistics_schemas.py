"""The JSON shapes of the city's trip figures (``/api/v1/trips/statistics/...``).

Every answer names its period (local days, both included) and ``suppressed_below``: when set,
each count below it is given as ``null`` (the caller is outside the operator; k-anonymity).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from tartip.core.schemas import TartipModel


class FigureRead(TartipModel):
    """Fields every figure carries: the period and the suppression applied."""

    first: date = Field(description="First local day of the period")
    last: date = Field(description="Last local day of the period (included)")
    suppressed_below: int | None = Field(
        description="Counts below this are null (k-anonymity); null: nothing suppressed"
    )


class MeasureRead(TartipModel):
    """Mean (exact), median and 90th percentile (within one histogram bin) of a measure."""

    mean: float | None
    median: float | None
    p90: float | None


class TripSummaryRead(FigureRead):
    """The headline figures of a period."""

    today: date = Field(description="Today in the city's time zone")
    trips: int | None
    trips_today: int | None
    duration_s: MeasureRead = Field(description="Trip durations in seconds")
    distance_m: MeasureRead = Field(description="Trip distances in metres")
    rolled_up_at: datetime | None = Field(
        description="When the figures were last brought up to date"
    )


class TripCountRead(TartipModel):
    """Trips under one key: a day (ISO date), an hour (0–23) or a company (slug)."""

    key: str
    label: str
    trips: int | None


class TripCountsRead(FigureRead):
    """Trips per day, hour or company."""

    items: list[TripCountRead]


class PlaceRead(TartipModel):
    """Trips that started and ended in a district (or outside every district) or a zone."""

    id: int | None
    code: str
    label: str
    kind: str = Field(description="district, outside, or the zone's kind")
    starts: int | None
    ends: int | None


class PlacesRead(FigureRead):
    """Trips per district or zone."""

    items: list[PlaceRead]


class OriginDestinationRead(FigureRead):
    """The district origin-destination matrix: ``counts[i][j]`` went from place i to place j."""

    places: list[PlaceRead]
    counts: list[list[int | None]]
    total: int | None


class HeatCellRead(TartipModel):
    """A grid cell (WGS 84 bounds) with the trips that started and ended in it."""

    south: float
    west: float
    north: float
    east: float
    starts: int | None
    ends: int | None


class HeatMapRead(FigureRead):
    """Trip starts and ends per grid cell; cells with nothing to show are left out."""

    cell_lat: float = Field(description="Cell height in degrees of latitude")
    cell_lon: float = Field(description="Cell width in degrees of longitude")
    cells: list[HeatCellRead]
