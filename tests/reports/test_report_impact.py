"""The report's Vision Zero and sustainability sections against hand counts, with their records."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pypdf
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import districts as cities_districts
from tartip.cities.models import City
from tartip.core.errors import InvalidInput
from tartip.core.i18n import read_messages
from tartip.reports import report_impact, report_period, report_records
from tartip.reports import sustainability as estimates
from tartip.reports.export import ExportFormat, render
from tartip.reports.report_model import (
    Figure,
    PeriodKind,
    Records,
    Report,
    ReportPeriod,
    Section,
    Table,
    msgids,
)
from tartip.safety import service as safety_service
from tartip.safety.enums import IncidentKind, Severity
from tartip.safety.schemas import IncidentCreate
from tartip.trips.statistics_models import TripRollup
from tests import builders
from tests.reports import helpers as h

NOW = h.AFTER  # 10 July 2026: June is over
CENTRE = (76.945, 43.238)  # in the middle of Almaty, inside a district
AWAY = (77.9, 43.9)  # far outside every district


def staff(city: City) -> Scope:
    return Scope(user_id=None, username="t", role=Role.supervisor, city_id=city.id)


def june(city: City) -> ReportPeriod:
    return report_period.parse(timezone=city.timezone, now=NOW, period="month", at=h.MONTH)


def incident(
    db: Session,
    sender: Scope,
    when: datetime,
    kind: IncidentKind,
    severity: Severity,
    *,
    company: str | None = None,
    injured: int = 0,
    place: tuple[float, float] = CENTRE,
) -> int:
    """An incident recorded through the safety domain (its source follows from ``sender``)."""
    data = IncidentCreate(
        kind=kind, severity=severity, occurred_at=when, lon=place[0], lat=place[1],
        company=company, injured=injured,
    )  # fmt: skip
    found, _new = safety_service.create(db, scope=sender, data=data)
    return found.id


def seed_incidents(db: Session, city: City) -> dict[str, int]:
    """Hand-counted June: five incidents in it, one just before and one just after."""
    office = staff(city)
    police = Scope(user_id=None, username="gai", role=Role.police, city_id=city.id)
    jet = builders.company(db, city, "jet")
    jet_rep = Scope(None, "jet-rep", Role.company_rep, city.id, company_id=jet.id)
    ids = {
        "minor": incident(db, office, h.at(days=1), IncidentKind.collision, Severity.minor,
                          company="jet", injured=1),
        "serious": incident(db, police, h.at(days=3, hours=10), IncidentKind.fall,
                            Severity.serious, injured=1),
        "near_jet": incident(db, jet_rep, h.at(days=5), IncidentKind.near_miss, Severity.none),
        # 30 June 23:30 in Almaty (18:30 UTC) is June.
        "fatal": incident(db, police, datetime(2026, 6, 30, 18, 30, tzinfo=UTC),
                          IncidentKind.collision, Severity.fatal, company="whoosh", injured=2),
        "near_yandex": incident(db, office, h.at(days=10), IncidentKind.near_miss, Severity.none,
                                company="yandex-go", place=AWAY),
        # 1 July 00:30 in Almaty (30 June 19:30 UTC) is July; 31 May 23:59 local is May.
        "july": incident(db, office, datetime(2026, 6, 30, 19, 30, tzinfo=UTC),
                         IncidentKind.collision, Severity.serious, company="jet", injured=1),
        "may": incident(db, office, datetime(2026, 5, 31, 18, 59, tzinfo=UTC), IncidentKind.fall,
                        Severity.minor, company="yandex-go", injured=1),
    }  # fmt: skip
    db.flush()
    return ids


def listed(db: Session, city: City, records: Records) -> report_impact.Found:
    """The records behind a link, read the way ``report_records.records`` reads them."""
    assert records.figure == report_impact.INCIDENTS
    params = dict(records.params)
    period = report_period.parse(
        timezone=city.timezone, now=NOW, start=params.pop("start"), end=params.pop("end")
    )
    return report_impact.incident_records(db, staff(city), period, params, NOW)


def figures(section: Section) -> dict[str, Figure]:
    return {f.key.split(".", 1)[1]: f for f in section.figures}


def rows(table: Table) -> list[tuple[object, ...]]:
    return [r.cells for r in table.rows]


def test_vision_zero_figures_against_hand_counts(db: Session, city: City) -> None:
    seed_incidents(db, city)
    section = report_impact.vision_zero(db, scope=staff(city), city=city, period=june(city))
    got = {k: f.value for k, f in figures(section).items()}
    assert got == {
        "total": 5, "injury": 3, "fatal": 1, "serious": 1, "minor": 1, "near_miss": 2,
        "people_hurt": 1 + 1 + 2, "staff": 2, "police": 2, "company": 1,
    }  # fmt: skip
    by_month = section.tables[0]
    assert by_month.key == "vision_zero.by_month"
    # month, incidents, with an injury, fatal, serious, minor, near misses, people hurt
    assert rows(by_month) == [("2026-06", 5, 3, 1, 1, 1, 2, 4)]
    by_company = section.tables[1]
    assert rows(by_company) == [
        ("Jet", 2, 1, 0, 0, 1, 1),
        ("Whoosh", 1, 1, 1, 0, 0, 0),
        ("Yandex Go", 1, 0, 0, 0, 0, 1),
        ("—", 1, 1, 0, 1, 0, 0),  # the police did not say whose vehicle it was
    ]
    chart = section.charts[0]
    assert chart.x == ("2026-06",)
    assert {s.key: s.values for s in chart.series} == {
        "none": (2.0,), "minor": (1.0,), "serious": (1.0,), "fatal": (1.0,),
    }  # fmt: skip


def test_the_month_rows_agree_with_the_safety_domain(db: Session, city: City) -> None:
    seed_incidents(db, city)
    domain = safety_service.counts_by_month(
        db, scope=staff(city), first=date(2026, 5, 1), last=date(2026, 7, 31)
    )
    period = report_period.make(
        PeriodKind.custom, date(2026, 5, 1), date(2026, 7, 31), city.timezone
    )
    section = report_impact.vision_zero(db, scope=staff(city), city=city, period=period)
    month_rows = rows(section.tables[0])
    assert [(r[0], r[1]) for r in month_rows] == [(c.month, c.total) for c in domain]
    assert [r[1] for r in month_rows] == [1, 5, 1]
    assert [r[-1] for r in month_rows] == [c.injured for c in domain]
    assert [r[3] for r in month_rows] == [c.by_severity["fatal"] for c in domain]


def test_every_count_adds_up_to_its_incidents(db: Session, city: City) -> None:
    seed_incidents(db, city)
    # A period of two months' days: each month row opens that month's incidents only.
    period = report_period.make(
        PeriodKind.custom, date(2026, 6, 1), date(2026, 7, 5), city.timezone
    )
    section = report_impact.vision_zero(db, scope=staff(city), city=city, period=period)
    checked = 0
    for f in section.figures:
        if f.records is None:
            assert f.key == "vision_zero.people_hurt"  # people, not incidents
            continue
        assert listed(db, city, f.records)[3] == f.value, f.key
        checked += 1
    for table in section.tables:
        for row in table.rows:
            for column, link in row.records.items():
                found = listed(db, city, link)
                assert found[3] == row.cells[table.column(column)], (table.key, column, link)
                assert len(found[1]) == found[3]
                checked += 1
    assert checked == 9 + 2 * 6 + 4 * 6
    assert [r.cells[:2] for r in section.tables[0].rows] == [("2026-06", 5), ("2026-07", 1)]


def test_the_incident_list_shows_each_incident_with_a_link(db: Session, city: City) -> None:
    ids = seed_incidents(db, city)
    columns, found, links, total, *_ = report_impact.incident_records(
        db, staff(city), june(city), {}, NOW
    )
    assert total == 5
    assert [c.key for c in columns] == [
        "occurred", "kind", "severity", "source", "company", "vehicle", "injured", "district",
    ]  # fmt: skip
    first = found[0]
    assert first[:7] == (
        "2026-06-02 00:00", "Collision", "Minor injury", "Operator's staff", "Jet", "—", 1,
    )  # fmt: skip
    districts = {d.name for d in cities_districts.list_districts(db, city_id=city.id)}
    assert first[7] in districts
    assert found[-1][0] == "2026-06-30 23:30" and found[-1][3] == "Police"
    away = next(r for r in found if r[4] == "Yandex Go")
    assert away[7] == report_impact.OUTSIDE_DISTRICT
    assert links[0] == f"/api/v1/safety/incidents/{ids['minor']}"
    # Narrowed: nobody named the company; a month's days; any injury.
    period = june(city)
    unnamed = report_impact.incident_records(db, staff(city), period, {"company": "none"}, NOW)
    assert [r[2] for r in unnamed[1]] == ["Serious injury"]
    july = report_impact.incident_records(
        db, staff(city),
        report_period.make(PeriodKind.custom, date(2026, 6, 1), date(2026, 7, 5), city.timezone),
        {"month": "2026-07", "severity": "injury"}, NOW,
    )  # fmt: skip
    assert july[3] == 1 and july[1][0][0] == "2026-07-01 00:30"


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"severity": "scratch"}, "severity 'scratch' is not one of"),
        ({"kind": "crash"}, "kind 'crash' is not one of"),
        ({"source": "press"}, "source 'press' is not one of"),
        ({"company": "bolt"}, "no company 'bolt'"),
        ({"month": "2026-13"}, "is not a month"),
        ({"month": "2026-08"}, "outside the period"),
    ],
)
def test_unknown_filter_values_are_refused(
    db: Session, city: City, filters: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        report_impact.incident_records(db, staff(city), june(city), filters, NOW)


# --- sustainability --------------------------------------------------------------------------


def rollup(db: Session, city: City, company: str, day: date, trips: int, metres: int) -> None:
    """A day's trips of a company with their distance (as tests/reports/test_sustainability)."""
    db.add(
        TripRollup(
            city_id=city.id, company_id=builders.company(db, city, company).id, local_date=day,
            hour=12, start_district=1, end_district=1, trips=trips, duration_s=trips * 600,
            distance_m=metres,
        )
    )  # fmt: skip


@pytest.fixture
def trips(db: Session, city: City) -> None:
    rollup(db, city, "jet", date(2026, 6, 1), 100, 250_000)
    rollup(db, city, "whoosh", date(2026, 6, 20), 50, 150_000)
    rollup(db, city, "jet", date(2026, 7, 2), 5, 10_000)  # outside June
    db.flush()


def values(section: Section) -> dict[str, float | int | None]:
    return {k: f.value for k, f in figures(section).items()}


def test_sustainability_with_the_default_assumptions(db: Session, city: City, trips: None) -> None:
    section = report_impact.sustainability(db, scope=staff(city), period=june(city))
    got = values(section)
    assert got["trips"] == 150
    assert got["scooter_km"] == pytest.approx(400.0)  # (250 000 + 150 000) m
    assert got["car_trips_replaced"] == pytest.approx(30.0)  # 150 × 20 %
    assert got["car_km_replaced"] == pytest.approx(80.0)  # 400 × 20 % × 1.0
    assert got["car_co2_kg"] == pytest.approx(13.6)  # 80 km × 170 g
    assert got["scooter_co2_kg"] == pytest.approx(26.0)  # 400 km × 65 g
    assert got["co2_avoided_kg"] == pytest.approx(-12.4)  # negative, and shown so
    assert all(f.note for f in section.figures)  # every figure says how it is worked out
    trips_figure = figures(section)["trips"]
    assert trips_figure.records == Records.of("trips", june(city))
    listed_trips = report_records.records(
        db, scope=staff(city), kind="trips", start="2026-06-01", end="2026-06-30",
        filters={}, now=NOW,
    )  # fmt: skip
    assert listed_trips.total == trips_figure.value
    table = section.tables[0]
    assert rows(table) == [
        ("Share of trips that replace a car or taxi trip, %", 20.0, "Default",
         estimates.DEFAULT_SOURCE, "—"),
        ("Car-km per scooter-km", 1.0, "Default", estimates.DEFAULT_SOURCE, "—"),
        ("A car's CO2e, g per km", 170.0, "Default", estimates.DEFAULT_SOURCE, "—"),
        ("A shared scooter's life-cycle CO2e, g per km", 65.0, "Default",
         estimates.DEFAULT_SOURCE, "—"),
    ]  # fmt: skip
    assert table.columns[table.column("source")].translate  # our sentence, translated
    assert table.note == "Default assumptions: the city has not set its own yet."


def test_sustainability_prints_the_citys_assumptions(db: Session, city: City, trips: None) -> None:
    estimates.set_assumptions(
        db, scope=staff(city), source="Rider survey 2026",
        values={"car_trip_share": 0.3, "car_km_per_scooter_km": 1.2, "car_co2_g_per_km": 200,
                "scooter_co2_g_per_km": 40},
    )  # fmt: skip
    section = report_impact.sustainability(db, scope=staff(city), period=june(city))
    got = values(section)
    assert got["car_trips_replaced"] == pytest.approx(45.0)  # 150 × 30 %
    assert got["car_km_replaced"] == pytest.approx(144.0)  # 400 × 30 % × 1.2
    assert got["car_co2_kg"] == pytest.approx(28.8)  # 144 km × 200 g
    assert got["scooter_co2_kg"] == pytest.approx(16.0)  # 400 km × 40 g
    assert got["co2_avoided_kg"] == pytest.approx(12.8)
    table = section.tables[0]
    assert [r[:4] for r in rows(table)] == [
        ("Share of trips that replace a car or taxi trip, %", 30.0, "Set by the city",
         "Rider survey 2026"),
        ("Car-km per scooter-km", 1.2, "Set by the city", "Rider survey 2026"),
        ("A car's CO2e, g per km", 200.0, "Set by the city", "Rider survey 2026"),
        ("A shared scooter's life-cycle CO2e, g per km", 40.0, "Set by the city",
         "Rider survey 2026"),
    ]  # fmt: skip
    assert all(str(r[4]).startswith("t, ") for r in rows(table))  # who set them, and when
    assert not table.columns[table.column("source")].translate  # the city's own words
    assert table.note is None


def test_no_trips_is_no_data_and_hidden_trips_say_so(db: Session, city: City, trips: None) -> None:
    may = report_period.parse(timezone=city.timezone, now=NOW, period="month", at="2026-05")
    section = report_impact.sustainability(db, scope=staff(city), period=may)
    got = figures(section)
    assert got["trips"].value == 0 and got["trips"].missing is None
    for key in ("scooter_km", "car_trips_replaced", "co2_avoided_kg"):
        assert got[key].value is None and got[key].missing == report_impact.NO_TRIPS
    jet = builders.company(db, city, "jet")
    jet_rep = Scope(None, "jet-rep", Role.company_rep, city.id, company_id=jet.id)
    july = report_period.parse(timezone=city.timezone, now=NOW, period="month", at="2026-07")
    hidden = figures(report_impact.sustainability(db, scope=jet_rep, period=july))
    assert all(f.value is None and f.missing == report_impact.HIDDEN for f in hidden.values())


# --- the report's files ----------------------------------------------------------------------


def impact_report(db: Session, city: City) -> Report:
    period = june(city)
    return Report(
        city_id=city.id,
        city_slug=city.slug,
        city_name=city.name,
        period=period,
        generated_at=NOW,
        sections=(
            report_impact.vision_zero(db, scope=staff(city), city=city, period=period),
            report_impact.sustainability(db, scope=staff(city), period=period),
        ),
    )


def test_every_msgid_is_translated(db: Session, city: City, trips: None) -> None:
    seed_incidents(db, city)
    found = impact_report(db, city)
    for locale in ("ru", "kk"):
        messages = read_messages(locale)
        missing = [m for m in msgids(found) if not messages.get(m, "").strip()]
        assert missing == [], (locale, missing)
        # The incident list's words as well (kinds, severities, sources, headings).
        columns, listed_rows, *_ = report_impact.incident_records(
            db, staff(city), june(city), {}, NOW
        )
        words = [c.label for c in columns] + [
            r[i] for r in listed_rows for i, c in enumerate(columns) if c.translate
        ]
        assert [w for w in words if not messages.get(str(w), "").strip()] == [], locale
    assert messages.get(report_impact.INCIDENTS_TITLE)


def test_the_sections_in_the_pdf_and_xlsx_in_russian(db: Session, city: City, trips: None) -> None:
    seed_incidents(db, city)
    found = impact_report(db, city)
    ru = read_messages("ru")
    pdf = render(found, fmt=ExportFormat.pdf, locale="ru", base_url="https://t")
    text = " ".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    ).replace("\n", " ")
    assert "Vision Zero: дорожные происшествия" in text
    assert ru["Sustainability: cars replaced and CO2 avoided"] in text
    assert ru["Incidents by company"] in text and ru["Assumptions"] in text
    assert "По умолчанию" in text  # the default assumptions say so
    assert "−12,4" in text or "-12,4" in text  # CO2 avoided, the Russian way

    book = load_workbook(io.BytesIO(render(found, fmt=ExportFormat.xlsx, locale="ru").content))
    titles = [ws.cell(row=1, column=1).value for ws in book.worksheets[1:]]
    assert titles == [
        "Vision Zero: дорожные происшествия",
        ru["Sustainability: cars replaced and CO2 avoided"],
    ]
    safety_sheet = list(book.worksheets[1].iter_rows(values_only=True))
    assert any(r[0] == ru["Road-safety incidents"] and r[1] == 5 for r in safety_sheet)
    green = book.worksheets[2]
    factor = next(
        row[1] for row in green.iter_rows() if row[0].value == ru["Car-km per scooter-km"]
    )
    assert factor.value == 1.0 and factor.number_format == "#,##0.0#"  # printed, not rounded

    csv_text = render(found, fmt=ExportFormat.csv, locale="kk").content.decode("utf-8-sig")
    assert "vision_zero.by_company" in csv_text and "sustainability.assumptions" in csv_text
