"""The operator's report for any period and city: every figure from the domains' own functions.

``build`` puts the sections together; each section reads its domain the way the domain counts:
complaints through ``complaints.figures`` (received in the period; open and overdue as of now),
damage the way ``damage.figures`` does (cases first reported and handovers made in the period,
hours from handover to collection), trips from the daily rollups (``trips.statistics``), the field
work from ``report_work``. The companies' scorecard comes with a month's report only (it is
defined per month). The result is a ``report_model.Report``: language-free, rendered by the page,
the API and the exports alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.complaints import figures as complaint_figures
from tartip.complaints.schemas import FigureRow
from tartip.core.clock import utcnow
from tartip.core.errors import NotFound
from tartip.damage import figures as damage_figures
from tartip.damage.enums import HandoverStatus
from tartip.damage.models import DamageCase, Handover
from tartip.reports import (
    dashboards_maps,
    report_impact,
    report_maps,
    report_period,
    report_work,
    service,
)
from tartip.reports import scorecard as sc
from tartip.reports.period import Month
from tartip.reports.report_model import (
    Chart,
    ChartKind,
    Column,
    Figure,
    PeriodKind,
    Records,
    Report,
    ReportPeriod,
    Row,
    Section,
    Series,
    Table,
    Unit,
)
from tartip.trips import statistics as trip_statistics

# Who reads the operator's report: the operator's office and the city (admins always do).
READERS = (Role.supervisor, Role.city_viewer)

SOURCE_LABELS = {
    "citizen": "Citizens",
    "government": "Government bodies",
    "police": "Police",
    "company": "Sharing companies",
    "staff": "Operator's staff",
}
CATEGORY_LABELS = {
    "badly_parked": "Badly parked",
    "blocking_passage": "Blocking the way",
    "damaged_vehicle": "Damaged vehicle",
    "dangerous_riding": "Dangerous riding",
    "minors_riding": "Minors riding",
    "two_riders": "Two riders",
    "other": "Other",
}
NO_RESOLVED = "No complaint resolved yet"
NO_COLLECTED = "No vehicle collected yet"


def build(
    db: Session, *, scope: Scope, period: ReportPeriod, now: datetime | None = None
) -> Report:
    """The report of ``period`` for the caller's city (operator's staff and the city only)."""
    scope.require(*READERS)
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound(f"no city {scope.city_id}")
    moment = now or utcnow()
    sections = [
        report_maps.with_zone_map(
            db, scope=scope, section=report_work.put_in_order(db, scope=scope, period=period)
        ),
        complaints(db, scope=scope, city=city, period=period, now=moment),
        damage(db, scope=scope, period=period),
        report_maps.violations(db, scope=scope, city=city, period=period),
        *report_work.staff_and_zones(db, scope=scope, period=period),
        trips(db, scope=scope, period=period),
        report_impact.vision_zero(db, scope=scope, city=city, period=period),
        report_impact.sustainability(db, scope=scope, period=period),
    ]
    if period.kind is PeriodKind.month:
        sections.append(scorecard(db, scope=scope, period=period, now=moment))
    return Report(
        city_id=city.id,
        city_slug=city.slug,
        city_name=city.name,
        period=period,
        generated_at=moment,
        sections=tuple(sections),
        complete=moment >= period.end,
    )


def build_from_query(
    db: Session,
    *,
    scope: Scope,
    period: str | None = None,
    at: str | None = None,
    start: str | None = None,
    end: str | None = None,
    now: datetime | None = None,
) -> Report:
    """The report of the period a request names (see ``report_period.parse``)."""
    scope.require(*READERS)
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound(f"no city {scope.city_id}")
    moment = now or utcnow()
    chosen = report_period.parse(
        timezone=city.timezone, now=moment, period=period, at=at, start=start, end=end
    )
    return build(db, scope=scope, period=chosen, now=moment)


# --- complaints ------------------------------------------------------------------------------


def _complaint_table(
    key: str, title: str, heading: str, rows: list[FigureRow], labels: dict[str, str],
    period: ReportPeriod, filter_name: str,
) -> Table:  # fmt: skip
    def link(k: str, **more: str) -> Records:
        return Records.of("complaints", period, **{filter_name: k}, **more)

    return Table(
        key=key,
        title=title,
        columns=(
            Column(filter_name, heading, Unit.text, translate=bool(labels)),
            Column("total", "Received", Unit.complaints),
            Column("open", "Open", Unit.complaints),
            Column("overdue", "Overdue", Unit.complaints),
            Column("resolved", "Resolved", Unit.complaints),
            Column("median_hours", "Median hours to resolve", Unit.hours),
            Column("p90_hours", "90% resolved within, hours", Unit.hours),
        ),
        rows=tuple(
            Row(
                (labels.get(r.key, r.label) if labels else r.label, r.total, r.open, r.overdue,
                 r.resolved, r.median_hours, r.p90_hours),
                {"total": link(r.key), "open": link(r.key, state="open"),
                 "overdue": link(r.key, state="overdue"),
                 "resolved": link(r.key, state="resolved"),
                 "median_hours": link(r.key, state="resolved", measure="median"),
                 "p90_hours": link(r.key, state="resolved", measure="p90")},
            )
            for r in rows
        ),
    )  # fmt: skip


def complaints(
    db: Session, *, scope: Scope, city: City, period: ReportPeriod, now: datetime
) -> Section:
    """Complaints received in the period: by source and category, times to resolve, overdue."""
    found = complaint_figures.figures(
        db, scope=scope, since=period.start, until=period.end, now=now
    )
    t = found.total
    sources = {r.key: r for r in found.by_source}
    return Section(
        key="complaints",
        title="Complaints",
        note="Open and overdue as of the report; a re-opened complaint counts its last close",
        figures=(
            Figure("complaints.total", "Complaints received", t.total, Unit.complaints,
                   records=Records.of("complaints", period)),
            Figure("complaints.government", "From government bodies and the police",
                   sum(sources[k].total for k in ("government", "police") if k in sources),
                   Unit.complaints, records=Records.of("complaints", period, source="official")),
            Figure("complaints.citizen", "From citizens",
                   sources["citizen"].total if "citizen" in sources else 0, Unit.complaints,
                   records=Records.of("complaints", period, source="citizen")),
            Figure("complaints.resolved", "Resolved", t.resolved, Unit.complaints,
                   records=Records.of("complaints", period, state="resolved")),
            Figure("complaints.open", "Still open", t.open, Unit.complaints,
                   records=Records.of("complaints", period, state="open")),
            Figure("complaints.overdue", "Overdue (open past due)", t.overdue, Unit.complaints,
                   records=Records.of("complaints", period, state="overdue")),
            Figure("complaints.median_hours", "Median time to resolve", t.median_hours,
                   Unit.hours, missing=NO_RESOLVED if t.median_hours is None else None,
                   records=Records.of("complaints", period, state="resolved", measure="median")),
            Figure("complaints.p90_hours", "90% resolved within", t.p90_hours, Unit.hours,
                   missing=NO_RESOLVED if t.p90_hours is None else None,
                   records=Records.of("complaints", period, state="resolved", measure="p90")),
        ),
        tables=(
            _complaint_table("complaints.by_source", "Complaints by source", "Source",
                             found.by_source, SOURCE_LABELS, period, "source"),
            _complaint_table("complaints.by_category", "Complaints by category", "Category",
                             found.by_category, CATEGORY_LABELS, period, "category"),
            _district_table(db, scope=scope, city=city, period=period, now=now),
        ),
        charts=(
            Chart("complaints.sources", "Complaints by source", Unit.complaints, ChartKind.bar,
                  x=tuple(SOURCE_LABELS.get(r.key, r.key) for r in found.by_source),
                  series=(Series("total", "Received",
                                 tuple(float(r.total) for r in found.by_source)),),
                  translate_x=True),
        ),
    )  # fmt: skip


# The place a complaint is about with no district around it (outside the city's districts).
OUTSIDE_DISTRICT = "Outside every district"


def _district_table(
    db: Session, *, scope: Scope, city: City, period: ReportPeriod, now: datetime
) -> Table:
    """Complaints by the district of their place, counted as the city view's map counts them.

    The dashboards' own function does the counting, so the report and the city view cannot
    disagree. A district's name is the city's English name, used as a msgid: the catalogues
    hold Almaty's districts in Russian and Kazakh (another city's names show as written).
    """
    days = dashboards_maps.MapPeriod(period.first, period.last, period.start, period.end)
    found = dashboards_maps.district_complaints(
        db, scope=scope, city=city, period=days, now=now, locale="en"
    )

    def link(key: str, **more: str) -> Records:
        return Records.of("complaints", period, district=key, **more)

    return Table(
        key="complaints.by_district",
        title="Complaints by district",
        columns=(
            Column("district", "District", Unit.text, translate=True),
            Column("total", "Received", Unit.complaints),
            Column("open", "Open", Unit.complaints),
            Column("overdue", "Overdue", Unit.complaints),
        ),
        rows=tuple(
            Row(
                (r.name or OUTSIDE_DISTRICT, r.total, r.open, r.overdue),
                {"total": link(r.key), "open": link(r.key, state="open"),
                 "overdue": link(r.key, state="overdue")},
            )
            for r in found.rows
        ),
        note="By the district of the place a complaint is about",
    )  # fmt: skip


# --- damage ----------------------------------------------------------------------------------


def damage(db: Session, *, scope: Scope, period: ReportPeriod) -> Section:
    """Damaged vehicles found and handed over per company, and the hours to collect them."""
    companies = {c.id: c for c in cities_service.list_companies(db, city_id=scope.city_id)}
    found: dict[int | None, int] = defaultdict(int)
    for (company_id,) in db.execute(
        select(DamageCase.company_id).where(
            DamageCase.city_id == scope.city_id,
            DamageCase.first_reported_at >= period.start,
            DamageCase.first_reported_at < period.end,
        )
    ):
        found[company_id] += 1
    handed: dict[int | None, int] = defaultdict(int)
    hours: dict[int | None, list[float]] = defaultdict(list)
    for company_id, at, collected, resolved in db.execute(
        select(
            Handover.company_id,
            Handover.handed_over_at,
            Handover.collected_at,
            Handover.resolved_at,
        ).where(
            Handover.city_id == scope.city_id,
            Handover.handed_over_at >= period.start,
            Handover.handed_over_at < period.end,
            Handover.status != HandoverStatus.cancelled,
        )
    ):
        handed[company_id] += 1
        took = damage_figures.hours_to_collect(at, collected, resolved)
        if took is not None:
            hours[company_id].append(took)
    every = [h for hs in hours.values() for h in hs]
    rows = []
    for cid in sorted(
        set(found) | set(handed), key=lambda c: companies[c].name if c in companies else "~"
    ):
        slug = companies[cid].slug if cid in companies else None
        name = companies[cid].name if cid in companies else "—"
        median = damage_figures.median(hours[cid])
        p90 = damage_figures.nearest_rank(hours[cid], 0.9)
        rows.append(
            Row(
                (name, found[cid], handed[cid], len(hours[cid]),
                 None if median is None else round(median, 2),
                 None if p90 is None else round(p90, 2)),
                {"found": Records.of("damage_cases", period, company=slug),
                 "handed_over": Records.of("handovers", period, company=slug),
                 "collected": Records.of("handovers", period, company=slug, collected="yes"),
                 "median_hours": Records.of("handovers", period, company=slug, collected="yes",
                                            measure="median"),
                 "p90_hours": Records.of("handovers", period, company=slug, collected="yes",
                                         measure="p90")},
            )
        )  # fmt: skip
    median_all = damage_figures.median(every)
    p90_all = damage_figures.nearest_rank(every, 0.9)
    return Section(
        key="damage",
        title="Damaged vehicles",
        figures=(
            Figure("damage.found", "Damaged vehicles found", sum(found.values()), Unit.vehicles,
                   records=Records.of("damage_cases", period)),
            Figure("damage.handed_over", "Handed over to the companies", sum(handed.values()),
                   Unit.vehicles, records=Records.of("handovers", period)),
            Figure("damage.collected", "Collected by the companies", len(every), Unit.vehicles,
                   records=Records.of("handovers", period, collected="yes")),
            Figure("damage.median_hours", "Median hours to collect",
                   None if median_all is None else round(median_all, 2), Unit.hours,
                   missing=NO_COLLECTED if median_all is None else None,
                   records=Records.of("handovers", period, collected="yes", measure="median")),
            Figure("damage.p90_hours", "90% collected within, hours",
                   None if p90_all is None else round(p90_all, 2), Unit.hours,
                   missing=NO_COLLECTED if p90_all is None else None,
                   records=Records.of("handovers", period, collected="yes", measure="p90")),
        ),
        tables=(
            Table(
                key="damage.by_company",
                title="Damaged vehicles by company",
                columns=(
                    Column("company", "Company", Unit.text),
                    Column("found", "Found", Unit.vehicles),
                    Column("handed_over", "Handed over", Unit.vehicles),
                    Column("collected", "Collected", Unit.vehicles),
                    Column("median_hours", "Median hours to collect", Unit.hours),
                    Column("p90_hours", "90% collected within, hours", Unit.hours),
                ),
                rows=tuple(rows),
            ),
        ),
    )  # fmt: skip


# --- trips -----------------------------------------------------------------------------------


def trips(db: Session, *, scope: Scope, period: ReportPeriod) -> Section:
    """Trips per day and per company, from the daily trip rollups."""
    query = trip_statistics.TripQuery(first=period.first, last=period.last)
    per_day = trip_statistics.by_day(db, scope=scope, query=query)
    per_company = trip_statistics.by_company(db, scope=scope, query=query)
    total = sum(c.trips or 0 for c in per_company)
    peak = max(per_day, key=lambda c: c.trips or 0, default=None)
    return Section(
        key="trips",
        title="Trips",
        note="From the companies' trip data, rolled up by local day",
        figures=(
            Figure("trips.total", "Trips", total, Unit.trips, records=Records.of("trips", period)),
            Figure("trips.per_day", "Average trips per day", round(total / period.days, 1),
                   Unit.trips, records=Records.of("trips", period, measure="per_day")),
            Figure("trips.peak_day", "Most trips in a day", peak.trips if peak else None,
                   Unit.trips,
                   records=Records("trips", (("start", peak.key), ("end", peak.key)))
                   if peak else None),
        ),
        tables=(
            Table(
                key="trips.by_company",
                title="Trips by company",
                columns=(Column("company", "Company", Unit.text),
                         Column("trips", "Trips", Unit.trips)),
                rows=tuple(Row((c.label, c.trips),
                               {"trips": Records.of("trips", period, company=c.key)})
                           for c in per_company),
            ),
        ),
        charts=(
            Chart("trips.daily", "Trips per day", Unit.trips, ChartKind.line,
                  x=tuple(c.key for c in per_day),
                  series=(Series("trips", "Trips",
                                 tuple(None if c.trips is None else float(c.trips)
                                       for c in per_day)),)),
        ),
    )  # fmt: skip


# --- the companies' scorecard ----------------------------------------------------------------


# The scorecard's headline figures the report shows: (measure, figure, column label, records).
# A count links to the records it counted (``records`` builds the link for a company's slug and
# the period); a rate or an average over the feed's snapshots has its formula on the scorecard
# page, and the count it is made of stands beside it.
def _linked(records: str, /, **filters: str) -> Callable[[ReportPeriod, str], Records]:
    def link(period: ReportPeriod, company: str) -> Records:
        return Records.of(records, period, company=company, **filters)

    return link


SCORECARD_COLUMNS: tuple[
    tuple[sc.MeasureKey, str, str, Callable[[ReportPeriod, str], Records] | None], ...
] = (
    (sc.MeasureKey.deployed, "average", "Vehicles on street (average)", None),
    (sc.MeasureKey.parking_violations, "violations", "Parking violations",
     _linked("violations", kind="parking")),
    (sc.MeasureKey.parking_violations, "per_100_vehicles", "Parking violations per 100 vehicles",
     None),
    (sc.MeasureKey.damage_collection, "median_hours", "Median hours to collect",
     _linked("handovers", collected="yes", measure="median")),
    (sc.MeasureKey.complaints, "complaints", "Complaints", _linked("complaints")),
    (sc.MeasureKey.put_in_order, "vehicles_put_in_order", "Put in order",
     _linked("put_in_order")),
)  # fmt: skip


def scorecard(db: Session, *, scope: Scope, period: ReportPeriod, now: datetime) -> Section:
    """Each company's scorecard for the month (headline figures; the full card is linked)."""
    month = Month(period.first.year, period.first.month)
    card = service.scorecard(db, scope=scope, month=month.label, now=now)
    rows = []
    for company in card.companies:
        cells: list[str | int | float | None] = [company.company.name]
        links: dict[str, Records] = {}
        for measure_key, figure_key, _label, records in SCORECARD_COLUMNS:
            # No fallback: a wrong figure key must fail, not show another figure under the label.
            cells.append(company.measure(measure_key).figure(figure_key).value)
            if records is not None:
                links[f"{measure_key.value}.{figure_key}"] = records(period, company.company.slug)
        rows.append(Row(tuple(cells), links))
    return Section(
        key="scorecard",
        title="The companies' scorecard",
        note="The full scorecard, with every formula, is on the scorecard page",
        tables=(
            Table(
                key="scorecard.companies",
                title="The companies' scorecard",
                columns=(
                    Column("company", "Company", Unit.text),
                    *(Column(f"{m.value}.{f}", label, Unit.number)
                      for m, f, label, _records in SCORECARD_COLUMNS),
                ),
                rows=tuple(rows),
            ),
        ),
    )  # fmt: skip
