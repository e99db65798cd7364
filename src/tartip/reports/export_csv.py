"""The report as CSV: one line per number, in a long ("tidy") layout analysts load as it is.

Columns: ``section``, ``kind`` (figure, table, chart), ``key`` (figure, table or chart key),
``title`` (translated label), ``row`` (the row's or the x label's text), ``column`` (translated
column heading or series label), ``value`` (plain machine number: dot decimal, shares as 0..1),
``unit`` (the model's unit code), ``records`` (the address of the records behind the number).
Text cells of a table (names, categories) are the row's label, not lines of their own. The file is
UTF-8 with a byte-order mark so that spreadsheet programs read Cyrillic and Kazakh letters right.
"""

from __future__ import annotations

import csv
import io

from tartip.reports.export import Edition, Words
from tartip.reports.report_model import Cell, Chart, Records, Report, Section, Table, Unit

HEADER = ("section", "kind", "key", "title", "row", "column", "value", "unit", "records")


def _plain(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _where(words: Words, records: Records | None) -> str:
    if records is None:
        return ""
    return words.link(records) or records.path


def _table_lines(section: Section, table: Table, words: Words) -> list[list[str]]:
    lines: list[list[str]] = []
    text_columns = [i for i, c in enumerate(table.columns) if c.unit is Unit.text]
    for row in table.rows:
        label = " / ".join(words.cell(row.cells[i], table.columns[i]) for i in text_columns)
        if row.total and not label:
            label = words("Total")
        for i, column in enumerate(table.columns):
            if i in text_columns:
                continue
            lines.append(
                [
                    section.key,
                    "table",
                    table.key,
                    words(table.title),
                    label,
                    words(column.label),
                    _plain(row.cells[i]),
                    column.unit.value,
                    _where(words, row.link(column.key)),
                ]
            )
    return lines


def _chart_lines(section: Section, chart: Chart, words: Words) -> list[list[str]]:
    lines: list[list[str]] = []
    for series in chart.series:
        label = words(series.label) if chart.translate_series else series.label
        for x, value in zip(chart.x, series.values, strict=True):
            lines.append(
                [
                    section.key,
                    "chart",
                    chart.key,
                    words(chart.title),
                    words(x) if chart.translate_x else x,
                    label,
                    _plain(value),
                    chart.unit.value,
                    "",
                ]
            )
    return lines


def write_csv(report: Report, words: Words, edition: Edition | None) -> bytes:
    """The report as CSV bytes (UTF-8 with BOM); the first lines say what and when."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    about = [
        ("report", words(report.title)),
        ("city", words(report.city_name)),
        ("period", report.period.label),
        ("generated_at", report.generated_at.isoformat()),
    ]
    if edition is not None and edition.version is not None:
        about.append(("version", str(edition.version)))
    for key, text in about:
        writer.writerow(["", "about", key, text, "", "", "", "", ""])
    for section in report.sections:
        for f in section.figures:
            writer.writerow(
                [
                    section.key,
                    "figure",
                    f.key,
                    words(f.label),
                    "",
                    "",
                    _plain(f.value),
                    f.unit.value,
                    _where(words, f.records),
                ]
            )
        for table in section.tables:
            writer.writerows(_table_lines(section, table, words))
        for chart in section.charts:
            writer.writerows(_chart_lines(section, chart, words))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
