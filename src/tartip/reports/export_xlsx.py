"""The report as an XLSX workbook for analysts: numbers stay numbers, headings are translated.

One sheet "about" the report (city, period, when generated, the version), then one sheet per
section: its figures (label, value, unit, how counted, a link to the records), each table with
its headings, each chart's data as a table (x down, one column per series) and each map's
values as a table (one place a row). Shares are
stored as fractions with a percent format, so formulas over them work.
"""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from tartip.reports.export import Edition, Words
from tartip.reports.report_model import Cell, Chart, Column, Map, Report, Section, Table, Unit

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
LINK = Font(color="0563C1", underline="single")
NUMBER_FORMATS: dict[Unit, str] = {
    Unit.share: "0.0%",
    Unit.hours: "0.0",
    Unit.minutes: "0.0",
    Unit.decimal: "#,##0.0#",
}
# Characters Excel refuses in a sheet name; names are at most 31 characters.
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    # "Vision Zero: …" becomes "Vision Zero …", one space where the refused character was.
    base = " ".join(_SHEET_BAD.sub(" ", title).split())[:28].strip() or "sheet"
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base} {n}", n + 1
    taken.add(name.lower())
    return name


def _put(ws: Worksheet, row: int, col: int, value: Cell, unit: Unit) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, int | float):
        cell.number_format = NUMBER_FORMATS.get(unit, "#,##0" if unit is not Unit.text else "@")


def _about(ws: Worksheet, report: Report, words: Words, edition: Edition | None) -> None:
    ws.title = _sheet_name(words("About this report"), set())
    ws.cell(row=1, column=1, value=words(report.title)).font = TITLE
    lines: list[tuple[str, str]] = [
        (words("City"), words(report.city_name)),
        (words("Period"), report.period.label),
        (words("Time zone"), report.period.timezone),
        (words("Generated"), words.when(report.generated_at)),
    ]
    if not report.complete:
        lines.append((words("Status"), words("The period is not over: figures may still grow")))
    if edition is not None and edition.version is not None:
        lines.append((words("Version"), str(edition.version)))
        if edition.issued_at is not None:
            lines.append((words("Issued"), words.when(edition.issued_at)))
        if edition.reason:
            lines.append((words("Reason"), words(edition.reason)))
    for i, (label, value) in enumerate(lines, start=3):
        ws.cell(row=i, column=1, value=label).font = BOLD
        ws.cell(row=i, column=2, value=value)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 40


def _figures(ws: Worksheet, section: Section, words: Words, row: int) -> int:
    if not section.figures:
        return row
    for col, head in enumerate(
        (words("Figure"), words("Value"), words("Unit"), words("How counted"), words("Records")),
        start=1,
    ):
        ws.cell(row=row, column=col, value=head).font = BOLD
    for f in section.figures:
        row += 1
        ws.cell(row=row, column=1, value=words(f.label))
        if f.value is None:
            ws.cell(row=row, column=2, value=words.text(f.missing) or "—")
        else:
            _put(ws, row, 2, f.value, f.unit)
        ws.cell(row=row, column=3, value=words.sign(f.unit))
        ws.cell(row=row, column=4, value=words.text(f.note))
        link = words.link(f.records)
        if link:
            cell = ws.cell(row=row, column=5, value=link)
            cell.hyperlink = link
            cell.font = LINK
    return row + 2


def _heading_row(ws: Worksheet, row: int, columns: tuple[Column, ...], words: Words) -> None:
    for col, c in enumerate(columns, start=1):
        sign = words.sign(c.unit)
        ws.cell(
            row=row, column=col, value=words(c.label) + (f", {sign}" if sign else "")
        ).font = BOLD


def _table(ws: Worksheet, table: Table, words: Words, row: int) -> int:
    ws.cell(row=row, column=1, value=words(table.title)).font = BOLD
    row += 1
    _heading_row(ws, row, table.columns, words)
    for r in table.rows:
        row += 1
        for col, (value, column) in enumerate(zip(r.cells, table.columns, strict=True), start=1):
            shown: Cell = words(value) if isinstance(value, str) and column.translate else value
            _put(ws, row, col, shown, column.unit)
            if r.total:
                ws.cell(row=row, column=col).font = BOLD
    if table.note:
        row += 1
        ws.cell(row=row, column=1, value=words(table.note))
    return row + 2


def _chart(ws: Worksheet, chart: Chart, words: Words, row: int) -> int:
    ws.cell(row=row, column=1, value=words(chart.title)).font = BOLD
    row += 1
    ws.cell(row=row, column=1, value="").font = BOLD
    for col, s in enumerate(chart.series, start=2):
        label = words(s.label) if chart.translate_series else s.label
        ws.cell(row=row, column=col, value=label).font = BOLD
    for i, x in enumerate(chart.x):
        row += 1
        ws.cell(row=row, column=1, value=words(x) if chart.translate_x else x)
        for col, s in enumerate(chart.series, start=2):
            _put(ws, row, col, s.values[i], chart.unit)
    return row + 2


def _map(ws: Worksheet, m: Map, words: Words, row: int) -> int:
    """A map's values as a table: one place a row (its name, value and records)."""
    ws.cell(row=row, column=1, value=words(m.title)).font = BOLD
    row += 1
    for col, head in enumerate((words("Place"), words(m.layer.label), words("Records")), 1):
        ws.cell(row=row, column=col, value=head).font = BOLD
    for f in m.layer.features:
        row += 1
        ws.cell(row=row, column=1, value=f.label(words.locale))
        _put(ws, row, 2, f.value, m.layer.unit)
        link = words.link(f.records)
        if link:
            cell = ws.cell(row=row, column=3, value=link)
            cell.hyperlink = link
            cell.font = LINK
    if m.note:
        row += 1
        ws.cell(row=row, column=1, value=words(m.note))
    return row + 2


def write_xlsx(report: Report, words: Words, edition: Edition | None) -> bytes:
    """The report as XLSX bytes."""
    book = Workbook()
    about = book.active
    assert about is not None  # a new workbook always has its first sheet
    _about(about, report, words, edition)
    taken = {about.title.lower()}
    for section in report.sections:
        ws = book.create_sheet(_sheet_name(words(section.title), taken))
        ws.cell(row=1, column=1, value=words(section.title)).font = TITLE
        row = 3
        if section.note:
            ws.cell(row=2, column=1, value=words(section.note))
            row = 4
        row = _figures(ws, section, words, row)
        for table in section.tables:
            row = _table(ws, table, words, row)
        for chart in section.charts:
            row = _chart(ws, chart, words, row)
        for m in section.maps:
            row = _map(ws, m, words, row)
        ws.column_dimensions["A"].width = 40
        for letter in "BCDE":
            ws.column_dimensions[letter].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
