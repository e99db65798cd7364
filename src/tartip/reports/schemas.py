"""API schemas of the reports domain: the companies' scorecard."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tartip.core.schemas import TartipModel
from tartip.reports import present
from tartip.reports.period import Period
from tartip.reports.scorecard import Figure, Measure, MeasureKey, Missing, Unit
from tartip.reports.service import Assumptions, CompanyCard, Scorecard


class FigureRead(TartipModel):
    """One number: its value (null when there is no data, and ``missing`` says why)."""

    key: str
    value: float | None = Field(description="null: no data (never shown as a zero)")
    unit: Unit = Field(description="share is 0..1; the others as named")
    missing: Missing | None = Field(description="Why there is no value")

    @classmethod
    def from_figure(cls, figure: Figure) -> FigureRead:
        """The API form of a figure."""
        return cls(key=figure.key, value=figure.value, unit=figure.unit, missing=figure.missing)


class HeadlineRead(FigureRead):
    """A headline figure, with its label and its formula in words (docs/scorecard.md)."""

    label: str
    formula: str


class MeasureRead(TartipModel):
    """One measure: its headline figures and the inputs its formulas used."""

    key: MeasureKey
    title: str
    has_data: bool
    figures: list[HeadlineRead]
    inputs: list[FigureRead]

    @classmethod
    def from_measure(cls, measure: Measure) -> MeasureRead:
        """The API form of a measure."""
        return cls(
            key=measure.key,
            title=present.MEASURE_TITLES[measure.key],
            has_data=measure.has_data,
            figures=[
                HeadlineRead(
                    **FigureRead.from_figure(f).model_dump(),
                    label=present.figure_label(measure.key, f),
                    formula=present.formula(measure.key, f),
                )
                for f in measure.figures
            ],
            inputs=[FigureRead.from_figure(f) for f in measure.inputs],
        )


class CompanyCardRead(TartipModel):
    """One company's scorecard for the month."""

    company: str = Field(description="The company's slug")
    name: str
    measures: list[MeasureRead]

    @classmethod
    def from_card(cls, card: CompanyCard) -> CompanyCardRead:
        """The API form of a company's card."""
        return cls(
            company=card.company.slug,
            name=card.company.name,
            measures=[MeasureRead.from_measure(m) for m in card.measures],
        )


class PeriodRead(TartipModel):
    """The month, as local calendar month and as UTC instants."""

    month: str = Field(description="YYYY-MM, in the city's time zone")
    timezone: str
    start: datetime = Field(description="The month's first local midnight, in UTC")
    end: datetime = Field(description="The next month's first local midnight, in UTC")
    until: datetime = Field(description="Counted up to here: the end, or now for this month")
    complete: bool

    @classmethod
    def from_period(cls, period: Period) -> PeriodRead:
        """The API form of a period."""
        return cls(
            month=period.month.label,
            timezone=period.timezone,
            start=period.start,
            end=period.end,
            until=period.until,
            complete=period.complete,
        )


class AssumptionsRead(TartipModel):
    """The fixed numbers the formulas use."""

    sample_s: int = Field(description="The fleet is counted every this many seconds")
    disabled_threshold_h: float = Field(description="Disabled longer than this is counted")
    late_after_h: float = Field(description="An MDS event received later than this is late")
    parking_kinds: list[str] = Field(description="Violation kinds counted as parking violations")
    vehicle_files: list[str] = Field(description="Feed files whose freshness is measured")

    @classmethod
    def from_assumptions(cls, a: Assumptions) -> AssumptionsRead:
        """The API form of the assumptions."""
        return cls(
            sample_s=a.sample_s,
            disabled_threshold_h=round(a.disabled_threshold_s / 3600, 2),
            late_after_h=round(a.late_after_s / 3600, 2),
            parking_kinds=list(a.parking_kinds),
            vehicle_files=list(a.vehicle_files),
        )


class ScorecardRead(TartipModel):
    """The companies' scorecard for one month: every company the caller may see."""

    city: str
    period: PeriodRead
    computed_at: datetime
    assumptions: AssumptionsRead
    companies: list[CompanyCardRead]

    @classmethod
    def from_scorecard(cls, card: Scorecard) -> ScorecardRead:
        """The API form of a scorecard."""
        return cls(
            city=card.city.slug,
            period=PeriodRead.from_period(card.period),
            computed_at=card.computed_at,
            assumptions=AssumptionsRead.from_assumptions(card.assumptions),
            companies=[CompanyCardRead.from_card(c) for c in card.companies],
        )
