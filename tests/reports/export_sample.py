"""A hand-made report model for the export and issue tests (numbers chosen to be recognisable)."""

from __future__ import annotations

from datetime import UTC, date, datetime

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

JUNE = ReportPeriod(
    kind=PeriodKind.month,
    first=date(2026, 6, 1),
    last=date(2026, 6, 30),
    timezone="Asia/Almaty",
    start=datetime(2026, 5, 31, 19, 0, tzinfo=UTC),
    end=datetime(2026, 6, 30, 19, 0, tzinfo=UTC),
)


def sample_report(*, city_id: int = 1, put_in_order: int = 488799) -> Report:
    """A June report with one figure of each kind, a table with a total and two charts."""
    days = tuple(f"2026-06-{d:02d}" for d in range(1, 31))
    return Report(
        city_id=city_id,
        city_slug="almaty",
        city_name="Алматы",
        period=JUNE,
        generated_at=datetime(2026, 6, 30, 21, 0, tzinfo=UTC),
        sections=(
            Section(
                key="put_in_order",
                title="Scooters put in order",
                figures=(
                    Figure(
                        key="put_in_order.total",
                        label="Scooters put in order",
                        value=put_in_order,
                        unit=Unit.vehicles,
                        records=Records.of("put_in_order", JUNE),
                    ),
                    Figure(
                        key="put_in_order.share",
                        label="Complaints resolved in time",
                        value=0.875,
                        unit=Unit.share,
                    ),
                    Figure(
                        key="put_in_order.missing",
                        label="Median time to collect",
                        value=None,
                        unit=Unit.hours,
                        missing="no data",
                    ),
                ),
                tables=(
                    Table(
                        key="put_in_order.by_company",
                        title="By company",
                        columns=(
                            Column("company", "Company", Unit.text),
                            Column("vehicles", "Scooters put in order", Unit.vehicles),
                            Column("hours", "Hours", Unit.hours),
                        ),
                        rows=(
                            Row(
                                ("Jet", 300000, 12.5),
                                records={"vehicles": Records.of("put_in_order", JUNE, company=2)},
                            ),
                            Row(("Whoosh Қазақстан", 188799, 7.25)),
                            Row(("Total", 488799, 19.75), total=True),
                        ),
                    ),
                ),
                charts=(
                    Chart(
                        key="put_in_order.per_day",
                        title="Scooters put in order per day",
                        unit=Unit.vehicles,
                        kind=ChartKind.bar,
                        x=days,
                        series=(Series("all", "All", tuple(float(d * 100) for d in range(30))),),
                    ),
                    Chart(
                        key="put_in_order.by_company_day",
                        title="By company",
                        unit=Unit.vehicles,
                        kind=ChartKind.line,
                        x=days[:3],
                        series=(
                            Series("jet", "Jet", (1.0, 2.0, None)),
                            Series("whoosh", "Whoosh", (3.0, 1.0, 2.0)),
                        ),
                        translate_series=False,
                    ),
                ),
            ),
        ),
    )
