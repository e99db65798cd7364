"""The operator's report as plain data: what ``report.py`` computes and every renderer reads.

The model holds no translated text and touches no database. Every label is a *msgid* (the
English text that ``gettext`` looks up), so one report renders in Russian, Kazakh or English —
on the web page, in the PDF, the XLSX and the CSV — without being computed again. Names that are
data, not vocabulary (a company's name, a zone's name, a scout's name) are kept as they are and
marked so in their column (``Column.translate`` is False).

Shape::

    Report ── city, period, generated_at, title (msgid)
      └─ Section ── key, title (msgid), note (msgid)
           ├─ Figure  ── key, label, value, unit, note, missing, records (→ the rows behind it)
           ├─ Table   ── key, title, columns (Column), rows (Row: cells + records per cell)
           ├─ Chart   ── key, title, unit, kind, x (labels), series (Series: label + values)
           └─ Map     ── key, title, base (district outlines), layer (MapLayer: features + values)

A figure without data has ``value`` None and says why in ``missing`` (a msgid): "no data" is
never shown as zero. ``Records`` names a figure's records list: ``/reports/records/<figure>`` on
the web and ``/api/v1/reports/records/<figure>`` in the API, with the same query.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import urlencode

RECORDS_PATH = "/reports/records"
API_PREFIX = "/api/v1"


class PeriodKind(StrEnum):
    """How the report's period was chosen."""

    day = "day"
    week = "week"  # Monday to Sunday (ISO week)
    month = "month"
    custom = "custom"  # any run of whole local days


class Unit(StrEnum):
    """What a number counts (renderers format by unit; ``share`` is 0..1)."""

    number = "number"
    vehicles = "vehicles"
    trips = "trips"
    complaints = "complaints"
    people = "people"
    shifts = "shifts"
    zones = "zones"
    events = "events"
    hours = "hours"
    minutes = "minutes"
    days = "days"
    share = "share"
    # A measured quantity with decimals (km, kg, a factor): the label names what it is in.
    decimal = "decimal"
    text = "text"  # a table cell that is a name or a msgid, not a number


class ChartKind(StrEnum):
    """How a chart is drawn."""

    bar = "bar"  # one bar per x label (several series: grouped)
    stacked = "stacked"  # bars stacked by series
    line = "line"  # one line per series


@dataclass(frozen=True)
class ReportPeriod:
    """The report's period: whole local days ``first``..``last`` (inclusive) in ``timezone``.

    ``start`` and ``end`` are the UTC instants of the first day's local midnight and of the
    midnight after the last day: records are counted when ``start <= t < end``.
    """

    kind: PeriodKind
    first: date
    last: date
    timezone: str
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        """How many local days the period spans."""
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        """Language-free: ``2026-06`` (a month), ``2026-06-01`` (a day), else a range."""
        if self.kind is PeriodKind.month:
            return f"{self.first.year:04d}-{self.first.month:02d}"
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"

    def query(self) -> dict[str, str]:
        """The query naming this period (``start``, ``end``: local dates, both included)."""
        return {"start": self.first.isoformat(), "end": self.last.isoformat()}


@dataclass(frozen=True)
class Records:
    """Where the records behind a figure or a table cell are listed."""

    figure: str  # the records kind, e.g. "put_in_order", "complaints", "handovers"
    params: tuple[tuple[str, str], ...] = ()  # period and filters, in a stable order

    @staticmethod
    def of(figure: str, period: ReportPeriod, **filters: str | int | None) -> Records:
        """The records of ``figure`` in ``period``, narrowed by the filters that are not None."""
        params = list(period.query().items())
        params += sorted((k, str(v)) for k, v in filters.items() if v is not None)
        return Records(figure, tuple(params))

    @property
    def path(self) -> str:
        """The web page listing the records: ``/reports/records/<figure>?…``."""
        query = urlencode(self.params)
        return f"{RECORDS_PATH}/{self.figure}" + (f"?{query}" if query else "")

    @property
    def api_path(self) -> str:
        """The same list in the JSON API: ``/api/v1/reports/records/<figure>?…``."""
        return API_PREFIX + self.path


@dataclass(frozen=True)
class Figure:
    """One headline number of the report."""

    key: str  # stable, language-free: "put_in_order.total"
    label: str  # msgid
    value: float | int | None
    unit: Unit
    note: str | None = None  # msgid: how it was counted, shown beside the figure
    missing: str | None = None  # msgid: why there is no value (when value is None)
    records: Records | None = None


@dataclass(frozen=True)
class Column:
    """A table column: its key, heading (msgid) and unit."""

    key: str
    label: str  # msgid
    unit: Unit = Unit.number
    # Whether a text cell of this column is a msgid (a category) rather than a name (data).
    translate: bool = False


Cell = str | int | float | None


class Found(NamedTuple):
    """What a records reader found: columns, the rows and links shown, and what the figure
    counted (``report_records`` lists them; each domain's reader returns one)."""

    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]]
    links: list[str | None]
    total: int  # the number of records, or the sum of their counts
    # Each record's hours (worked, to resolve, to collect) where the kind has them.
    hours: list[float] | None = None
    listed: int | None = None  # the records matched, when ``total`` sums their counts


@dataclass(frozen=True)
class Row:
    """One table row: its cells (in column order) and, per column key, the records behind it."""

    cells: tuple[Cell, ...]
    records: dict[str, Records] = field(default_factory=dict)
    total: bool = False  # the row of totals, drawn apart

    def link(self, column: str) -> Records | None:
        """The records behind the cell of ``column``, if any."""
        return self.records.get(column)


@dataclass(frozen=True)
class Table:
    """A table of the report."""

    key: str
    title: str  # msgid
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    note: str | None = None  # msgid

    def column(self, key: str) -> int:
        """The index of the column ``key`` (``KeyError`` if there is none)."""
        for i, c in enumerate(self.columns):
            if c.key == key:
                return i
        raise KeyError(key)

    def value(self, row: int, column: str) -> Cell:
        """The cell of row ``row`` in column ``column``."""
        return self.rows[row].cells[self.column(column)]


@dataclass(frozen=True)
class Series:
    """One series of a chart: a label and one value per x label (None: no data there)."""

    key: str
    label: str  # msgid, or a name when ``Chart.translate_series`` is False
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    """A chart: labels along x and one or more series of values."""

    key: str
    title: str  # msgid
    unit: Unit
    kind: ChartKind
    x: tuple[str, ...]  # language-free labels (dates "2026-06-01", hours "07", names)
    series: tuple[Series, ...]
    translate_x: bool = False  # x labels are msgids (categories) rather than data
    translate_series: bool = True  # series labels are msgids rather than names

    @property
    def peak(self) -> float:
        """The largest value (stacked: the largest stack), 0 when there is none."""
        if self.kind is ChartKind.stacked:
            stacks = [sum(s.values[i] or 0.0 for s in self.series) for i in range(len(self.x))]
            return max(stacks, default=0.0)
        return max((v for s in self.series for v in s.values if v is not None), default=0.0)


class MapKind(StrEnum):
    """How a map layer's features are drawn."""

    areas = "areas"  # polygons shaded by value (zones, hexagons, districts)


@dataclass(frozen=True)
class MapFeature:
    """One place on a map: a GeoJSON geometry (WGS84), its name and value.

    ``name`` is data (a zone's name, a hexagon's centre), never a msgid; ``names`` gives the
    name in other locales where the data has it (``(("ru", "…"), ("kk", "…"))``).
    """

    key: str
    name: str
    geometry: dict[str, Any]  # GeoJSON geometry: Polygon or MultiPolygon
    value: float | None = None
    records: Records | None = None
    names: tuple[tuple[str, str], ...] = ()

    def label(self, locale: str) -> str:
        """The name in ``locale`` where the data has one, else ``name``."""
        return dict(self.names).get(locale) or self.name


@dataclass(frozen=True)
class MapLayer:
    """The values a map shows: one feature per place, shaded by its value."""

    key: str
    label: str  # msgid: what the value counts (the legend's title)
    unit: Unit
    features: tuple[MapFeature, ...]
    kind: MapKind = MapKind.areas

    @property
    def peak(self) -> float:
        """The largest value, 0 when there is none."""
        return max((f.value for f in self.features if f.value is not None), default=0.0)

    @property
    def total(self) -> float:
        """The sum of the values."""
        return sum(f.value for f in self.features if f.value is not None)


@dataclass(frozen=True)
class Map:
    """A map of the report: the city's district outlines as the base, one layer of values."""

    key: str
    title: str  # msgid
    layer: MapLayer
    base: tuple[MapFeature, ...] = ()  # outlines only (value None)
    note: str | None = None  # msgid


@dataclass(frozen=True)
class Section:
    """A part of the report: its figures, tables and charts, in the order they are shown."""

    key: str  # "put_in_order", "complaints", "damage", "duty_zones", "events", "staff", …
    title: str  # msgid
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    note: str | None = None  # msgid
    maps: tuple[Map, ...] = ()


@dataclass(frozen=True)
class Report:
    """The operator's report for one city and period."""

    city_id: int
    city_slug: str
    city_name: str
    period: ReportPeriod
    generated_at: datetime  # UTC
    sections: tuple[Section, ...]
    title: str = "The unified operator's report"  # msgid
    # Whether the period is wholly in the past when generated (else figures still grow).
    complete: bool = True

    def section(self, key: str) -> Section:
        """A section by key (``KeyError`` if there is none)."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def map(self, key: str) -> Map:
        """A map by key (``KeyError`` if there is none)."""
        for s in self.sections:
            for m in s.maps:
                if m.key == key:
                    return m
        raise KeyError(key)

    def figures(self) -> Iterator[Figure]:
        """Every figure of every section, in order."""
        for s in self.sections:
            yield from s.figures

    def figure(self, key: str) -> Figure:
        """A figure by key (``KeyError`` if there is none)."""
        for f in self.figures():
            if f.key == key:
                return f
        raise KeyError(key)

    def table(self, key: str) -> Table:
        """A table by key (``KeyError`` if there is none)."""
        for s in self.sections:
            for t in s.tables:
                if t.key == key:
                    return t
        raise KeyError(key)

    def chart(self, key: str) -> Chart:
        """A chart by key (``KeyError`` if there is none)."""
        for s in self.sections:
            for c in s.charts:
                if c.key == key:
                    return c
        raise KeyError(key)


def msgids(report: Report) -> Sequence[str]:
    """Every msgid the report uses (for catalogue checks): titles, labels, notes, categories."""
    found: list[str] = [report.title]
    for s in report.sections:
        found += [s.title, *([s.note] if s.note else [])]
        for f in s.figures:
            found += [f.label, *(x for x in (f.note, f.missing) if x)]
        for t in s.tables:
            found += [t.title, *(c.label for c in t.columns), *([t.note] if t.note else [])]
            for i, c in enumerate(t.columns):
                if c.translate:
                    found += [r.cells[i] for r in t.rows if isinstance(r.cells[i], str)]  # type: ignore[misc]
        for ch in s.charts:
            found.append(ch.title)
            if ch.translate_x:
                found += ch.x
            if ch.translate_series:
                found += [se.label for se in ch.series]
        for m in s.maps:
            found += [m.title, m.layer.label, *([m.note] if m.note else [])]
    return list(dict.fromkeys(found))
