"""API schemas of the sustainability estimate and its assumptions."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from tartip.core.schemas import TartipModel
from tartip.reports.sustainability import Assumptions, Estimate


class AssumptionsWrite(TartipModel):
    """The city's assumptions, all four at once, with where they come from."""

    car_trip_share: float = Field(ge=0, le=1, description="Share of trips replacing a car trip")
    car_km_per_scooter_km: float = Field(gt=0, le=5, description="Car-km per scooter-km")
    car_co2_g_per_km: float = Field(ge=0, le=2000, description="A car's g CO2e per km")
    scooter_co2_g_per_km: float = Field(
        ge=0, le=2000, description="A shared scooter's life-cycle g CO2e per km"
    )
    source: str = Field(min_length=1, max_length=2000, description="Where the numbers come from")


class AssumptionsRead(TartipModel):
    """The assumptions in use; ``is_default`` while the city has set none."""

    car_trip_share: float
    car_km_per_scooter_km: float
    car_co2_g_per_km: float
    scooter_co2_g_per_km: float
    source: str
    is_default: bool
    updated_at: datetime | None
    updated_by: str

    @staticmethod
    def of(a: Assumptions) -> AssumptionsRead:
        """From the service's assumptions."""
        return AssumptionsRead(
            **a.values(),
            source=a.source,
            is_default=a.is_default,
            updated_at=a.updated_at,
            updated_by=a.updated_by,
        )


class EstimateRead(TartipModel):
    """The estimate of a period, with the assumptions beside it (None: suppressed for you)."""

    first: date
    last: date
    trips: int | None
    scooter_km: float | None
    car_trips_replaced: float | None
    car_km_replaced: float | None
    car_co2_kg: float | None
    scooter_co2_kg: float | None
    co2_avoided_kg: float | None
    assumptions: AssumptionsRead

    @staticmethod
    def of(e: Estimate) -> EstimateRead:
        """From the service's estimate."""
        return EstimateRead(
            first=e.first,
            last=e.last,
            trips=e.trips,
            scooter_km=e.scooter_km,
            car_trips_replaced=e.car_trips_replaced,
            car_km_replaced=e.car_km_replaced,
            car_co2_kg=e.car_co2_kg,
            scooter_co2_kg=e.scooter_co2_kg,
            co2_avoided_kg=e.co2_avoided_kg,
            assumptions=AssumptionsRead.of(e.assumptions),
        )


class SustainabilityRead(TartipModel):
    """The period's estimate and each month's."""

    total: EstimateRead
    months: list[EstimateRead]
