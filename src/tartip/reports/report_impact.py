"""The report's impact sections (issue 7): Vision Zero incidents and the sustainability estimate.

**Vision Zero** counts incidents as the safety domain does: the rows ``safety.service``'s own
``IncidentFilter`` selects (the caller's city, ``since <= occurred_at < until``), a month being a
month of city time (as ``counts_by_month`` buckets them), severity being the worst injury. The
period's incidents are read once and tallied in Python, as the domain does ("incidents are few"),
so the figures, the month rows, the company rows and the chart cannot disagree. Every count opens
``incident_records``, which selects with the same filter narrowed by the cell's own filters.

**Sustainability** shows ``reports.sustainability.estimate`` for the period, in kilograms of
CO2e, each figure with its formula, and prints every assumption with its value, its source and
whether it is the default beside the figures: never folded into them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.cities import districts as cities_districts
from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.core.errors import InvalidInput, Problem
from tartip.reports import report_period
from tartip.reports import sustainability as estimates
from tartip.reports.period import Month
from tartip.reports.report_model import (
    API_PREFIX,
    Cell,
    Chart,
    ChartKind,
    Column,
    Figure,
    Found,
    PeriodKind,
    Records,
    ReportPeriod,
    Row,
    Section,
    Series,
    Table,
    Unit,
)
from tartip.safety import service as safety_service
from tartip.safety.enums import INJURY_SEVERITIES, IncidentKind, IncidentSource, Severity
from tartip.safety.models import Incident

# The records kind of every incident count, and the title of its list.
INCIDENTS = "incidents"
INCIDENTS_TITLE = "Road-safety incidents"
LIMIT = 1000  # rows shown in a records list (the total counts them all)
INJURY = "injury"  # the ``severity`` filter of any injury: minor, serious or fatal
NO_COMPANY = "none"  # the ``company`` filter of incidents whose company nobody named

KIND_LABELS = {
    IncidentKind.collision: "Collision",
    IncidentKind.fall: "Fall",
    IncidentKind.near_miss: "Near miss",
}
SEVERITY_LABELS = {
    Severity.none: "No injury",
    Severity.minor: "Minor injury",
    Severity.serious: "Serious injury",
    Severity.fatal: "Fatal",
}
SOURCE_LABELS = {
    IncidentSource.staff: "Operator's staff",
    IncidentSource.police: "Police",
    IncidentSource.company: "Sharing companies",
}
OUTSIDE_DISTRICT = "Outside every district"

# Why a sustainability figure has no value.
HIDDEN = "Hidden: fewer than 10 trips"
NO_TRIPS = "No trips reported in the period: nothing to estimate from"

# --- Vision Zero -----------------------------------------------------------------------------


@dataclass
class _Tally:
    """Incidents counted one way: in all, by severity, near misses, by source, people hurt."""

    total: int = 0
    severity: Counter[str] = field(default_factory=Counter)
    near_miss: int = 0
    source: Counter[str] = field(default_factory=Counter)
    people: int = 0

    @property
    def injury(self) -> int:
        """Incidents in which someone was hurt."""
        return sum(self.severity[s.value] for s in INJURY_SEVERITIES)

    def add(self, kind: str, severity: str, source: str, injured: int) -> None:
        """Count one incident."""
        self.total += 1
        self.severity[severity] += 1
        self.near_miss += kind == IncidentKind.near_miss
        self.source[source] += 1
        self.people += injured


def months_of(period: ReportPeriod) -> list[str]:
    """The calendar months (``YYYY-MM``) the period touches, in order."""
    found: list[str] = []
    month = Month(period.first.year, period.first.month)
    while month.first_day <= period.last:
        found.append(month.label)
        month = month.next()
    return found


def _in_period(db: Session, scope: Scope, since: datetime, until: datetime) -> Any:
    """The incidents the caller may see with ``since <= occurred_at < until`` (the domain's)."""
    where = safety_service.IncidentFilter(since=since, until=until).clauses(db, scope=scope)
    return select(
        Incident.occurred_at,
        Incident.kind,
        Incident.severity,
        Incident.source,
        Incident.company_id,
        Incident.injured,
    ).where(*where)


# The counts of a table row: (column, heading, the records filter that selects them).
COUNTED: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("total", "Incidents", {}),
    ("injury", "With an injury", {"severity": INJURY}),
    ("fatal", "Fatal", {"severity": Severity.fatal.value}),
    ("serious", "Serious injury", {"severity": Severity.serious.value}),
    ("minor", "Minor injury", {"severity": Severity.minor.value}),
    ("near_miss", "Near misses", {"kind": IncidentKind.near_miss.value}),
)


@dataclass(frozen=True)
class _Group:
    """A row of a counts table: its name, its incidents, the filter (``month``, ``company``)."""

    name: str
    tally: _Tally
    filter: str
    value: str


def _counts(
    key: str, title: str, column: Column, groups: list[_Group], period: ReportPeriod, *,
    note: str | None = None, people: bool = False,
) -> Table:  # fmt: skip
    """A table of incident counts, one row per group, each count opening its incidents."""

    def cells(t: _Tally) -> tuple[Cell, ...]:
        found: tuple[Cell, ...] = (
            t.total, t.injury, t.severity[Severity.fatal.value],
            t.severity[Severity.serious.value], t.severity[Severity.minor.value], t.near_miss,
        )  # fmt: skip
        return (*found, t.people) if people else found

    return Table(
        key=key,
        title=title,
        columns=(
            column,
            *(Column(k, heading, Unit.number) for k, heading, _f in COUNTED),
            *((Column("people", "People hurt", Unit.people),) if people else ()),
        ),
        rows=tuple(
            Row(
                (g.name, *cells(g.tally)),
                {
                    k: Records.of(INCIDENTS, period, **{g.filter: g.value}, **f)
                    for k, _h, f in COUNTED
                },
            )
            for g in groups
        ),  # fmt: skip
        note=note,
    )


def _figures(every: _Tally, period: ReportPeriod) -> tuple[Figure, ...]:
    def count(key: str, label: str, n: int, note: str | None = None, **f: str) -> Figure:
        return Figure(
            f"vision_zero.{key}", label, n, Unit.number, note=note,
            records=Records.of(INCIDENTS, period, **f),
        )  # fmt: skip

    return (
        count("total", "Road-safety incidents", every.total,
              "Crashes, falls and near misses with a shared vehicle, by when they happened"),
        count("injury", "Incidents with an injury", every.injury,
              "Severity is the worst injury in the incident", severity=INJURY),
        count("fatal", "Fatal incidents", every.severity[Severity.fatal.value],
              severity=Severity.fatal.value),
        count("serious", "Incidents with a serious injury (taken to hospital)",
              every.severity[Severity.serious.value], severity=Severity.serious.value),
        count("minor", "Incidents with a minor injury (treated on the spot)",
              every.severity[Severity.minor.value], severity=Severity.minor.value),
        count("near_miss", "Near misses (nobody hurt, nothing hit)", every.near_miss,
              kind=IncidentKind.near_miss.value),
        Figure("vision_zero.people_hurt", "People hurt", every.people, Unit.people,
               note="As the senders counted them"),
        count("staff", "Recorded by the operator's staff",
              every.source[IncidentSource.staff.value], source=IncidentSource.staff.value),
        count("police", "Reported by the police",
              every.source[IncidentSource.police.value], source=IncidentSource.police.value),
        count("company", "Reported by the sharing companies",
              every.source[IncidentSource.company.value], source=IncidentSource.company.value),
    )  # fmt: skip


def vision_zero(db: Session, *, scope: Scope, city: City, period: ReportPeriod) -> Section:
    """Road-safety incidents of the period: figures, by month, by company, a chart by month."""
    zone = ZoneInfo(city.timezone)
    months = months_of(period)
    every = _Tally()
    by_month = {m: _Tally() for m in months}
    by_company: dict[int | None, _Tally] = {}
    for occurred_at, kind, severity, source, company_id, injured in db.execute(
        _in_period(db, scope, period.start, period.end)
    ):
        facts = (str(kind), str(severity), str(source), int(injured or 0))
        every.add(*facts)
        # A month of city time, as ``safety.service.counts_by_month`` buckets incidents.
        by_month[occurred_at.astimezone(zone).strftime("%Y-%m")].add(*facts)
        by_company.setdefault(company_id, _Tally()).add(*facts)
    companies = cities_service.list_companies(db, city_id=scope.city_id)
    company_rows = [
        _Group(c.name, by_company.get(c.id, _Tally()), "company", c.slug) for c in companies
    ]
    if None in by_company:
        company_rows.append(_Group("—", by_company[None], "company", NO_COMPANY))
    month_rows = [_Group(m, by_month[m], "month", m) for m in months]
    return Section(
        key="vision_zero",
        title="Vision Zero: road-safety incidents",
        note="Incidents with shared vehicles recorded by the operator's staff, the police and "
        "the companies, counted by when they happened in city time",
        figures=_figures(every, period),
        tables=(
            _counts(
                "vision_zero.by_month",
                "Incidents by month",
                Column("month", "Month", Unit.text),
                month_rows,
                period,
                people=True,
            ),
            _counts(
                "vision_zero.by_company",
                "Incidents by company",
                Column("company", "Company", Unit.text),
                company_rows,
                period,
                note="—: the sender did not say whose vehicle it was",
            ),
        ),  # fmt: skip
        charts=(
            Chart(
                "vision_zero.monthly",
                "Incidents by month and severity",
                Unit.number,
                ChartKind.stacked,
                x=tuple(months),
                series=tuple(
                    Series(
                        s.value,
                        SEVERITY_LABELS[s],
                        tuple(float(by_month[m].severity[s.value]) for m in months),
                    )
                    for s in Severity
                ),  # fmt: skip
            ),
        ),
    )


def _choice(name: str, value: str, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``; ``InvalidInput`` naming them otherwise."""
    if value not in allowed:
        known = ", ".join(allowed)
        raise InvalidInput(
            f"{name} {value!r} is not one of {known}",
            problems=[Problem(f"query.{name}", f"one of {known}")],
        )
    return value


def _narrowed(period: ReportPeriod, month: str | None) -> ReportPeriod:
    """The period cut to ``month``'s days (a month row of a longer period); idempotent."""
    if not month:
        return period
    chosen = Month.parse(month)
    first = max(period.first, chosen.first_day)
    last = min(period.last, chosen.next().first_day - timedelta(days=1))
    if last < first:
        raise InvalidInput(
            f"month {month!r} is outside the period {period.label}",
            problems=[Problem("query.month", "a month of the period")],
        )
    return report_period.make(PeriodKind.custom, first, last, period.timezone)


def _where(db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str]) -> list[Any]:
    """The domain's filter of the period's incidents, narrowed by the records filters."""
    severities: tuple[Severity, ...] = ()
    if f.get("severity"):
        chosen = _choice("severity", f["severity"], [INJURY, *(s.value for s in Severity)])
        severities = (
            tuple(s for s in Severity if s in INJURY_SEVERITIES)
            if chosen == INJURY
            else (Severity(chosen),)
        )
    kinds = (
        (IncidentKind(_choice("kind", f["kind"], [k.value for k in IncidentKind])),)
        if f.get("kind")
        else ()
    )
    company = f.get("company") or None
    where = safety_service.IncidentFilter(
        since=period.start,
        until=period.end,
        kinds=kinds,
        severities=severities,
        company=None if company == NO_COMPANY else company,
    ).clauses(db, scope=scope)
    if company == NO_COMPANY:
        where.append(Incident.company_id.is_(None))
    if f.get("source"):
        where.append(
            Incident.source == _choice("source", f["source"], [s.value for s in IncidentSource])
        )
    return where


def _districts(db: Session, scope: Scope, found: list[Incident]) -> list[str]:
    """Each incident's district (its English name, a msgid), as the city's locator finds it."""
    names = {d.id: d.name for d in cities_districts.list_districts(db, city_id=scope.city_id)}
    located = cities_districts.locator(db, scope.city_id).locate(
        [i.lon for i in found], [i.lat for i in found]
    )
    return [OUTSIDE_DISTRICT if d is None else names.get(d, OUTSIDE_DISTRICT) for d in located]


def incident_records(
    db: Session, scope: Scope, period: ReportPeriod, f: dict[str, str], _now: datetime
) -> Found:
    """The incidents behind a Vision Zero count: the period's, narrowed by ``f``.

    Filters: ``severity`` (none, minor, serious, fatal, or ``injury``: any of the last three),
    ``kind``, ``source``, ``company`` (a slug, or ``none``: nobody named it) and ``month``
    (``YYYY-MM``: that month's days of the period). An unknown value is refused.
    """
    period = _narrowed(period, f.get("month"))
    where = _where(db, scope, period, f)
    total = db.scalar(select(func.count()).select_from(Incident).where(*where)) or 0
    found = list(
        db.scalars(
            select(Incident).where(*where).order_by(Incident.occurred_at, Incident.id).limit(LIMIT)
        )
    )
    names = {c.id: c.name for c in cities_service.list_companies(db, city_id=scope.city_id)}
    places = _districts(db, scope, found)
    rows: list[tuple[Cell, ...]] = [
        (report_period.local_time(i.occurred_at, period.timezone),
         KIND_LABELS.get(IncidentKind(i.kind), str(i.kind)),
         SEVERITY_LABELS.get(Severity(i.severity), str(i.severity)),
         SOURCE_LABELS.get(IncidentSource(i.source), str(i.source)),
         names.get(i.company_id, "—") if i.company_id else "—",
         i.vehicle_code or "—", i.injured, place)
        for i, place in zip(found, places, strict=True)
    ]  # fmt: skip
    columns = (
        Column("occurred", "When", Unit.text),
        Column("kind", "What", Unit.text, translate=True),
        Column("severity", "Severity", Unit.text, translate=True),
        Column("source", "Source", Unit.text, translate=True),
        Column("company", "Company", Unit.text),
        Column("vehicle", "Vehicle", Unit.text),
        Column("injured", "People hurt", Unit.people),
        Column("district", "District", Unit.text, translate=True),
    )
    links: list[str | None] = [f"{API_PREFIX}/safety/incidents/{i.id}" for i in found]
    return Found(columns, rows, links, int(total))


# --- sustainability --------------------------------------------------------------------------

# (field of the estimate, label, note: its formula)
ESTIMATES = (
    ("scooter_km", "Scooter-km ridden", "The trips' distances added up"),
    ("car_trips_replaced", "Car trips replaced",
     "Trips × the share of trips that replace a car or taxi trip"),
    ("car_km_replaced", "Car-km replaced",
     "Scooter-km × the share of trips that replace a car or taxi trip × car-km per scooter-km"),
    ("car_co2_kg", "CO2 those car-km would have emitted, kg",
     "Car-km replaced × a car's grams of CO2e per km ÷ 1,000"),
    ("scooter_co2_kg", "The scooters' own CO2 over their life, kg",
     "Scooter-km × a shared scooter's life-cycle grams of CO2e per km (making, charging, "
     "collecting, recycling) ÷ 1,000: every scooter-km counts"),
    ("co2_avoided_kg", "CO2 avoided, kg",
     "The cars' CO2 minus the scooters' own; negative means the scooters emitted more"),
)  # fmt: skip
# (assumption, label: what it is and in which unit)
ASSUMPTIONS = (
    ("car_trip_share", "Share of trips that replace a car or taxi trip, %"),
    ("car_km_per_scooter_km", "Car-km per scooter-km"),
    ("car_co2_g_per_km", "A car's CO2e, g per km"),
    ("scooter_co2_g_per_km", "A shared scooter's life-cycle CO2e, g per km"),
)
DEFAULT = "Default"
SET_BY_CITY = "Set by the city"


def _assumptions(a: estimates.Assumptions, timezone: str) -> Table:
    """Every assumption with its value, whether it is the default, its source, who set it."""
    values = a.values()
    values["car_trip_share"] = round(values["car_trip_share"] * 100, 6)  # printed in per cent
    who = (
        "—"
        if a.is_default or a.updated_at is None
        else f"{a.updated_by}, {report_period.local_time(a.updated_at, timezone)}"
    )
    return Table(
        key="sustainability.assumptions",
        title="Assumptions",
        columns=(
            Column("assumption", "Assumption", Unit.text, translate=True),
            Column("value", "Value", Unit.decimal),
            Column("status", "Default or set by the city", Unit.text, translate=True),
            # The defaults' source is our own sentence (a msgid); the city's is its own words.
            Column("source", "Source", Unit.text, translate=a.is_default),
            Column("set_by", "Set by", Unit.text),
        ),
        rows=tuple(
            Row((label, values[name], DEFAULT if a.is_default else SET_BY_CITY, a.source, who))
            for name, label in ASSUMPTIONS
        ),
        note="Default assumptions: the city has not set its own yet." if a.is_default else None,
    )


def sustainability(db: Session, *, scope: Scope, period: ReportPeriod) -> Section:
    """Car trips and car-km the scooters replaced and the CO2 that saved, with the assumptions."""
    found = estimates.estimate(db, scope=scope, first=period.first, last=period.last)
    # No trips at all leaves nothing to estimate from: "no data", never a zero estimate.
    missing = HIDDEN if found.trips is None else NO_TRIPS

    def figure(name: str, label: str, note: str) -> Figure:
        value = None if found.trips == 0 else getattr(found, name)
        return Figure(
            f"sustainability.{name}", label, None if value is None else round(value, 2),
            Unit.decimal, note=note, missing=missing if value is None else None,
        )  # fmt: skip

    trips = Figure(
        "sustainability.trips", "Trips", found.trips, Unit.trips,
        note="Reported by the companies, from the daily trip rollups",
        missing=HIDDEN if found.trips is None else None, records=Records.of("trips", period),
    )  # fmt: skip
    return Section(
        key="sustainability",
        title="Sustainability: cars replaced and CO2 avoided",
        note="An estimate from the trips the companies reported, in kilograms of CO2e; every "
        "assumption it rests on is printed below with its value and source",
        figures=(trips, *(figure(n, lb, note) for n, lb, note in ESTIMATES)),
        tables=(_assumptions(found.assumptions, period.timezone),),
    )
