"""One published table of open data: its columns, its rows and what a reader must know about it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Licence:
    """The licence every dataset is published under (``Settings.open_data_licence*``)."""

    name: str
    url: str
    attribution: str


@dataclass(frozen=True)
class Dataset:
    """A table as published: every count below ``k`` is None (suppressed), never a number.

    ``first``..``last`` are the local days covered (None: none yet). ``complete`` says whether
    the period is over, so its figures will not change as later days arrive.
    """

    name: str
    city: str
    period: str
    first: date | None
    last: date | None
    complete: bool
    columns: tuple[str, ...]
    rows: list[dict[str, str | int | None]]
    generated_at: datetime
    k: int
    description: str
    suppressed: int = field(default=0)

    def to_csv(self) -> str:
        """The rows as CSV (UTF-8, comma, header row); a suppressed count is an empty cell."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if row[c] is None else row[c] for c in self.columns])
        return out.getvalue()
