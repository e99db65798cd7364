"""The operator's report as files: PDF (for officials), XLSX (for analysts) and CSV.

Every writer reads the same report model (``report_model``) through one :class:`Words` object,
which translates its msgids into the chosen locale and formats numbers the way that locale
writes them. No figure is computed here: a file shows exactly what the model holds, so a file
rendered from an issued snapshot years later shows the issued figures.

``render(report, fmt=…, locale=…)`` picks the writer; ``ExportFile`` is what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from babel.numbers import format_decimal

from tartip.core.errors import InvalidInput, Problem
from tartip.core.i18n import LOCALES, catalogue
from tartip.reports.report_model import Cell, Column, Figure, Records, Report, Unit
from tartip.reports.report_period import local_time


class ExportFormat(StrEnum):
    """The file formats a report is written in."""

    pdf = "pdf"
    xlsx = "xlsx"
    csv = "csv"


CONTENT_TYPES: dict[ExportFormat, str] = {
    ExportFormat.pdf: "application/pdf",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.csv: "text/csv; charset=utf-8",
}

# Short unit signs shown after a value; counts carry no sign (the label says what is counted).
UNIT_SIGNS: dict[Unit, str] = {
    Unit.share: "%",
    Unit.hours: "h",
    Unit.minutes: "min",
    Unit.days: "d",
}


@dataclass(frozen=True)
class Edition:
    """What a file says about where it came from: the issued version, if it is one."""

    version: int | None = None
    issued_at: datetime | None = None
    issued_by: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ExportFile:
    """A rendered report file."""

    content: bytes
    format: ExportFormat
    locale: str
    filename: str

    @property
    def content_type(self) -> str:
        """The file's media type."""
        return CONTENT_TYPES[self.format]


class Words:
    """The report's words in one locale: translated msgids and numbers written the local way."""

    def __init__(self, locale: str, *, timezone: str, base_url: str | None = None) -> None:
        self.locale = locale
        self.timezone = timezone
        self.base_url = base_url.rstrip("/") if base_url else None
        self._catalogue = catalogue(locale)

    def __call__(self, msgid: str) -> str:
        """The translation of ``msgid``."""
        return self._catalogue.gettext(msgid)

    def text(self, value: str | None) -> str:
        """A msgid translated, or an empty string."""
        return self(value) if value else ""

    def number(self, value: float | int | None, unit: Unit) -> str:
        """``value`` as this locale writes it: shares as percent, hours to a tenth, counts whole."""
        if value is None:
            return "—"
        if unit is Unit.share:
            return format_decimal(value * 100, format="#,##0.0", locale=self.locale)
        if isinstance(value, int) or float(value).is_integer():
            return format_decimal(int(value), format="#,##0", locale=self.locale)
        return format_decimal(value, format="#,##0.0", locale=self.locale)

    def sign(self, unit: Unit) -> str:
        """The unit's short sign (translated), or an empty string."""
        sign = UNIT_SIGNS.get(unit)
        return self(sign) if sign else ""

    def quantity(self, value: float | int | None, unit: Unit) -> str:
        """The number with its unit sign: ``12,5 %``, ``3,2 ч``, ``488 799``."""
        shown = self.number(value, unit)
        sign = self.sign(unit)
        if value is None or not sign:
            return shown
        return f"{shown}\u00a0{sign}"

    def figure_value(self, figure: Figure) -> str:
        """A figure as shown: its quantity, or why it has none."""
        if figure.value is None and figure.missing:
            return self(figure.missing)
        return self.quantity(figure.value, figure.unit)

    def cell(self, value: Cell, column: Column) -> str:
        """A table cell as shown: names as written, categories translated, numbers formatted."""
        if value is None:
            return "—"
        if isinstance(value, str):
            return self(value) if column.translate else value
        return self.quantity(value, column.unit)

    def when(self, moment: datetime) -> str:
        """An instant in the city's time zone: ``2026-07-01 03:00``."""
        return local_time(moment, self.timezone)

    def link(self, records: Records | None) -> str | None:
        """The absolute address of a records list (None without a base address)."""
        if records is None or self.base_url is None:
            return None
        return self.base_url + records.path


def check_locale(locale: str) -> str:
    """``locale`` if we have it; ``InvalidInput`` otherwise."""
    if locale not in LOCALES:
        raise InvalidInput(
            f"locale {locale!r} is not one of {', '.join(LOCALES)}",
            problems=[Problem("query.locale", f"one of {', '.join(LOCALES)}")],
        )
    return locale


def parse_format(text: str) -> ExportFormat:
    """The export format named ``text``; ``InvalidInput`` otherwise."""
    try:
        return ExportFormat(text.lower())
    except ValueError:
        known = ", ".join(f.value for f in ExportFormat)
        raise InvalidInput(
            f"format {text!r} is not one of {known}",
            problems=[Problem("path.format", f"one of {known}")],
        ) from None


def filename(report: Report, fmt: ExportFormat, locale: str, edition: Edition | None) -> str:
    """A file name that says what is inside: ``tartip-almaty-2026-06-v2-ru.pdf``."""
    p = report.period
    span = p.label.replace(" – ", "_")
    version = f"-v{edition.version}" if edition and edition.version else ""
    return f"tartip-{report.city_slug}-{span}{version}-{locale}.{fmt.value}"


Writer = Callable[[Report, Words, Edition | None], bytes]


def _writer(fmt: ExportFormat) -> Writer:
    # The writers import their libraries on first use: the web app starts without them loaded.
    if fmt is ExportFormat.pdf:
        from tartip.reports.export_pdf import write_pdf

        return write_pdf
    if fmt is ExportFormat.xlsx:
        from tartip.reports.export_xlsx import write_xlsx

        return write_xlsx
    from tartip.reports.export_csv import write_csv

    return write_csv


def render(
    report: Report,
    *,
    fmt: ExportFormat,
    locale: str,
    edition: Edition | None = None,
    base_url: str | None = None,
) -> ExportFile:
    """Write ``report`` as a ``fmt`` file in ``locale``."""
    words = Words(check_locale(locale), timezone=report.period.timezone, base_url=base_url)
    content = _writer(fmt)(report, words, edition)
    return ExportFile(
        content=content,
        format=fmt,
        locale=locale,
        filename=filename(report, fmt, locale, edition),
    )
