"""Pydantic I/O of the open data: a dataset with its licence, and the catalogue of datasets."""

from __future__ import annotations

from datetime import date, datetime

from tartip.core.schemas import TartipModel
from tartip.public.dataset import Dataset, Licence


class LicenceRead(TartipModel):
    """The licence the data is published under."""

    name: str
    url: str
    attribution: str


class DatasetRead(TartipModel):
    """One open dataset: every count below ``k`` is null (suppressed)."""

    name: str
    description: str
    city: str
    period: str
    first_day: date | None
    last_day: date | None
    complete: bool
    k: int
    suppressed: int
    licence: LicenceRead
    generated_at: datetime
    columns: list[str]
    rows: list[dict[str, str | int | None]]

    @classmethod
    def of(cls, dataset: Dataset, licence: Licence) -> DatasetRead:
        """The API form of ``dataset``."""
        return cls(
            name=dataset.name,
            description=dataset.description,
            city=dataset.city,
            period=dataset.period,
            first_day=dataset.first,
            last_day=dataset.last,
            complete=dataset.complete,
            k=dataset.k,
            suppressed=dataset.suppressed,
            licence=LicenceRead(
                name=licence.name, url=licence.url, attribution=licence.attribution
            ),
            generated_at=dataset.generated_at,
            columns=list(dataset.columns),
            rows=dataset.rows,
        )


class DatasetInfo(TartipModel):
    """Where a dataset is and what it holds."""

    name: str
    description: str
    url: str
    csv_url: str
    periods: str


class CatalogueRead(TartipModel):
    """Every open dataset of a city, its licence and the suppression rule."""

    city: str
    licence: LicenceRead
    k: int
    rule: str
    documentation: str
    current_month: str
    last_complete_month: str
    datasets: list[DatasetInfo]
