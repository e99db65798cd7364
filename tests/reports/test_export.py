"""The report written as PDF, XLSX and CSV and read back: the figures and words are in them."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pypdf
import pytest
from openpyxl import load_workbook

from tartip.core.errors import InvalidInput
from tartip.reports import issue_snapshot
from tartip.reports.export import Edition, ExportFormat, Words, parse_format, render
from tartip.reports.export_pdf_chart import nice_top
from tartip.reports.report_model import Unit
from tests.reports.export_sample import sample_report

EDITION = Edition(version=2, issued_at=datetime(2026, 7, 1, 1, 0, tzinfo=UTC), reason="Уточнение")


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_in_russian_has_the_figures_and_cyrillic_text() -> None:
    out = render(sample_report(), fmt=ExportFormat.pdf, locale="ru", edition=EDITION)
    assert out.content.startswith(b"%PDF-")
    assert out.filename == "tartip-almaty-2026-06-v2-ru.pdf"
    text = pdf_text(out.content)
    assert "Алматы" in text
    assert "Версия: 2" in text
    assert "Уточнение" in text
    assert "488 799" in text.replace("\u00a0", " ")  # grouped the Russian way
    assert "87,5" in text  # a share, as percent with a decimal comma
    assert "Whoosh Қазақстан" in text  # Kazakh letters survive (the font has them)


def test_pdf_in_kazakh_translates_the_frame() -> None:
    text = pdf_text(render(sample_report(), fmt=ExportFormat.pdf, locale="kk").content)
    assert "Қала: Алматы" in text
    assert "Кезең: 2026-06" in text


def test_pdf_links_figures_to_their_records() -> None:
    out = render(sample_report(), fmt=ExportFormat.pdf, locale="en", base_url="https://t.example/")
    reader = pypdf.PdfReader(io.BytesIO(out.content))
    uris = [
        a.get_object()["/A"]["/URI"]
        for page in reader.pages
        for a in page.get("/Annots", [])
        if "/A" in a.get_object()
    ]
    assert "https://t.example/reports/records/put_in_order?start=2026-06-01&end=2026-06-30" in uris


def test_xlsx_keeps_numbers_as_numbers_and_translates_headings() -> None:
    out = render(
        sample_report(), fmt=ExportFormat.xlsx, locale="ru", edition=EDITION, base_url="https://t"
    )
    book = load_workbook(io.BytesIO(out.content))
    about = book.worksheets[0]
    assert about.title == "Об отчёте"
    rows = {r[0]: r[1] for r in about.iter_rows(min_row=3, values_only=True) if r[0]}
    assert rows["Город"] == "Алматы"
    assert rows["Версия"] == "2"
    assert rows["Причина"] == "Уточнение"
    sheet = book.worksheets[1]
    values = list(sheet.iter_rows(values_only=True))
    figures = {r[0]: r for r in values if r and r[0]}
    total = figures["Самокатов приведено в порядок"]
    assert total[1] == 488799 and isinstance(total[1], int)
    assert str(total[4]).endswith("/reports/records/put_in_order?start=2026-06-01&end=2026-06-30")
    share = next(r[1] for r in sheet.iter_rows() if r[1].value == 0.875)
    assert share.number_format == "0.0%"
    # The table: names as written, numbers as numbers, the total row kept.
    jet = next(r for r in values if r and r[0] == "Jet")
    assert jet[1:3] == (300000, 12.5)
    assert any(r and r[0] == "Whoosh Қазақстан" and r[1] == 188799 for r in values)
    # The chart's data: one row per day.
    assert any(r and r[0] == "2026-06-30" and r[1] == 2900 for r in values)


def test_csv_is_long_and_machine_readable() -> None:
    out = render(sample_report(), fmt=ExportFormat.csv, locale="kk", base_url="https://t")
    assert out.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(out.content.decode("utf-8-sig"))))
    by_key = {(r["kind"], r["key"], r["row"], r["column"]): r for r in rows}
    total = by_key[("figure", "put_in_order.total", "", "")]
    assert total["value"] == "488799" and total["unit"] == "vehicles"
    assert total["records"] == (
        "https://t/reports/records/put_in_order?start=2026-06-01&end=2026-06-30"
    )
    assert by_key[("figure", "put_in_order.share", "", "")]["value"] == "0.875"
    assert by_key[("figure", "put_in_order.missing", "", "")]["value"] == ""
    table = [r for r in rows if r["kind"] == "table"]
    assert {(r["row"], r["value"]) for r in table if r["unit"] == "vehicles"} == {
        ("Jet", "300000"),
        ("Whoosh Қазақстан", "188799"),
        ("Total", "488799"),
    }
    jet = next(r for r in table if r["row"] == "Jet" and r["unit"] == "vehicles")
    assert jet["records"].endswith("company=2")
    chart = [r for r in rows if r["kind"] == "chart" and r["key"] == "put_in_order.per_day"]
    assert len(chart) == 30 and chart[-1]["value"] == "2900"
    line = [r for r in rows if r["key"] == "put_in_order.by_company_day"]
    assert [r["value"] for r in line if r["column"] == "Jet"] == ["1", "2", ""]


def test_words_format_by_locale_and_unit() -> None:
    ru = Words("ru", timezone="Asia/Almaty")
    en = Words("en", timezone="Asia/Almaty")
    assert ru.quantity(12345, Unit.vehicles) == "12\u00a0345"
    assert en.quantity(12345, Unit.vehicles) == "12,345"
    assert ru.quantity(0.125, Unit.share) == "12,5\u00a0%"
    assert ru.quantity(None, Unit.hours) == "—"
    assert ru.when(datetime(2026, 6, 30, 19, 0, tzinfo=UTC)) == "2026-07-01 00:00"


def test_unknown_format_or_locale_is_refused() -> None:
    with pytest.raises(InvalidInput, match="docx"):
        parse_format("docx")
    with pytest.raises(InvalidInput, match="de"):
        render(sample_report(), fmt=ExportFormat.csv, locale="de")


@pytest.mark.parametrize(
    ("peak", "top"), [(0.0, 1.0), (0.8, 1.0), (3.0, 5.0), (2900.0, 5000.0), (12.0, 20.0)]
)
def test_chart_axis_tops_are_round(peak: float, top: float) -> None:
    assert nice_top(peak) == top


def test_a_snapshot_rebuilds_the_same_report_and_its_digest_ignores_when() -> None:
    report = sample_report()
    data = json.loads(json.dumps(issue_snapshot.dump(report)))  # through real JSON text
    assert issue_snapshot.load(data) == report
    later = replace(report, generated_at=datetime(2026, 7, 2, tzinfo=UTC))
    assert issue_snapshot.digest(issue_snapshot.dump(later)) == issue_snapshot.digest(data)
    changed = issue_snapshot.dump(sample_report(put_in_order=488800))
    assert issue_snapshot.digest(changed) != issue_snapshot.digest(data)
    with pytest.raises(InvalidInput, match="format"):
        issue_snapshot.load({**data, "format": 99})
