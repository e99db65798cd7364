"""The city's assumptions behind the sustainability estimates (one row per city, or none)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tartip.core.clock import utcnow
from tartip.db.base import Base, CityScoped
from tartip.db.types import UTCDateTime


class SustainabilityAssumptions(CityScoped, Base):
    """What the city assumes to turn scooter trips into car trips replaced and CO2 avoided.

    A city without a row uses the defaults of ``tartip.reports.sustainability`` and the page says
    so. Every value is printed beside the figure it feeds.
    """

    __tablename__ = "sustainability_assumptions"
    __table_args__ = (UniqueConstraint("city_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Share of scooter trips that would otherwise have been made by car or taxi (0..1).
    car_trip_share: Mapped[float]
    # Car-km driven per scooter-km replaced (a car's road is longer, or shorter, than a scooter's).
    car_km_per_scooter_km: Mapped[float]
    # A car's emissions per km (grams of CO2e), and the scooter's own per km over its life.
    car_co2_g_per_km: Mapped[float]
    scooter_co2_g_per_km: Mapped[float]
    # Where the numbers come from (a rider survey, a study): printed beside them.
    source: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
