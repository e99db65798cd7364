"""The ``trips.rollup`` job: brings the trip rollups up to date with newly received trips."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.core.jobs import JobContext, job
from tartip.trips import statistics_rollup

# Trips arrive by the hour (MDS Provider) or as they end (Agency): two minutes keeps the
# dashboard's "today" close to live, and a run with nothing new costs one indexed query.
ROLLUP_EVERY_S = 120.0


@job("trips.rollup", every_s=ROLLUP_EVERY_S)
def rollup_job(_ctx: JobContext, db: Session, city: City) -> None:
    """Rebuild the local days of the city that received trips since the last run."""
    statistics_rollup.roll_up(db, city=city)
