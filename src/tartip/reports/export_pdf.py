"""The report as PDF for officials: headline figures, tables and charts, in A4.

Text is set in DejaVu Sans, vendored under ``tartip/data/fonts`` with its licence, because the
PDF core fonts have no Cyrillic and no Kazakh letters (Ә, Ғ, Қ, Ң, Ө, Ұ, Ү, Һ, І). Charts are
drawn as vector graphics from the chart's own numbers (``export_pdf_chart``). When the report
is rendered with a base address, each figure's label links to the records behind it.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from tartip.reports.export import Edition, Words
from tartip.reports.export_pdf_chart import FONT, FONT_BOLD, chart_drawing
from tartip.reports.export_pdf_map import map_drawing
from tartip.reports.report_model import Figure, Report, Section, Unit
from tartip.reports.report_model import Table as ReportTable

FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"
WIDTH = A4[0] - 36 * mm  # the text width between the margins
GREY = colors.HexColor("#5f6b7a")
LINE = colors.HexColor("#c9d1db")
HEAD = colors.HexColor("#e8edf3")


@cache
def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) with reportlab, once per process."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12)
    return {
        "base": base,
        "title": ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=18, leading=23),
        "h1": ParagraphStyle(
            "h1", base, fontName=FONT_BOLD, fontSize=13, leading=17, spaceBefore=8, spaceAfter=4
        ),
        "h2": ParagraphStyle("h2", base, fontName=FONT_BOLD, fontSize=10, spaceBefore=6),
        "note": ParagraphStyle("note", base, fontSize=7.5, leading=9.5, textColor=GREY),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=10),
        "num": ParagraphStyle("num", base, fontSize=8, leading=10, alignment=2),
        "big": ParagraphStyle("big", base, fontName=FONT_BOLD, fontSize=11, alignment=2),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _header(
    report: Report, words: Words, edition: Edition | None, st: dict[str, ParagraphStyle]
) -> list[Flowable]:
    lines = [
        f"{words('City')}: {words(report.city_name)}",
        f"{words('Period')}: {report.period.label} ({report.period.timezone})",
        f"{words('Generated')}: {words.when(report.generated_at)}",
    ]
    if edition is not None and edition.version is not None:
        issued = words.when(edition.issued_at) if edition.issued_at else ""
        lines.append(f"{words('Version')}: {edition.version} · {words('Issued')}: {issued}")
        if edition.reason:
            lines.append(f"{words('Reason')}: {words(edition.reason)}")
    if not report.complete:
        lines.append(words("The period is not over: figures may still grow"))
    out: list[Flowable] = [_p(words(report.title), st["title"]), Spacer(1, 3 * mm)]
    out += [_p(line, st["base"]) for line in lines]
    return [*out, Spacer(1, 4 * mm)]


def _figure_label(f: Figure, words: Words, st: dict[str, ParagraphStyle]) -> list[Paragraph]:
    label = escape(words(f.label))
    link = words.link(f.records)
    if link:
        label = f'<a href="{escape(link)}" color="#0b5cad">{label}</a>'
    out = [Paragraph(label, st["cell"])]
    if f.note:
        out.append(_p(words(f.note), st["note"]))
    return out


def _figures(section: Section, words: Words, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    if not section.figures:
        return []
    rows = [
        [_figure_label(f, words, st), _p(words.figure_value(f), st["big"])] for f in section.figures
    ]
    table = Table(rows, colWidths=[WIDTH * 0.7, WIDTH * 0.3])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [table, Spacer(1, 3 * mm)]


# Room a table cell's text loses to its padding (ReportLab's default: 6 points a side).
CELL_PADDING = 12.0
SMALLEST_HEAD = 6.0


def _widest_word(label: str, font: str, size: float) -> float:
    return max((pdfmetrics.stringWidth(w, font, size) for w in label.split()), default=0.0)


def _column_widths(t: ReportTable, labels: list[str], style: ParagraphStyle) -> list[float]:
    """Name columns twice the room of number columns, and each wide enough for the longest word
    of its heading (Russian and Kazakh words such as «Происшествия» are long): the room is
    taken from columns that have more than their heading needs."""
    text_cols = sum(1 for c in t.columns if c.unit is Unit.text) or 1
    share = WIDTH / (2 * text_cols + (len(t.columns) - text_cols))
    wanted = [share * (2 if c.unit is Unit.text else 1) for c in t.columns]
    need = [_widest_word(label, style.fontName, style.fontSize) + CELL_PADDING for label in labels]
    widths = [max(w, n) for w, n in zip(wanted, need, strict=True)]
    excess = sum(widths) - WIDTH
    slack = [max(0.0, w - n) for w, n in zip(widths, need, strict=True)]
    if excess > 0 and sum(slack) > 0:
        taken = min(1.0, excess / sum(slack))
        widths = [w - s * taken for w, s in zip(widths, slack, strict=True)]
    scale = min(1.0, WIDTH / sum(widths))
    return [w * scale for w in widths]


def _head_style(
    labels: list[str], widths: list[float], st: dict[str, ParagraphStyle]
) -> ParagraphStyle:
    """The header style, its font made small enough that no word of a heading is split where
    the columns could not be widened enough; below ``SMALLEST_HEAD`` points words may be."""
    cell = st["cell"]
    size = cell.fontSize
    for label, width in zip(labels, widths, strict=True):
        widest = _widest_word(label, cell.fontName, size)
        if widest > width - CELL_PADDING:
            size = min(size, size * (width - CELL_PADDING) / widest)
    size = max(SMALLEST_HEAD, size)
    if size == cell.fontSize:
        return cell
    return ParagraphStyle("head", cell, fontSize=size, leading=size * 1.25)


def _table(t: ReportTable, words: Words, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    labels = []
    for c in t.columns:
        sign = words.sign(c.unit)
        labels.append(words(c.label) + (f", {sign}" if sign else ""))
    widths = _column_widths(t, labels, st["cell"])
    head_style = _head_style(labels, widths, st)
    rows: list[list[Paragraph]] = [[_p(label, head_style) for label in labels]]
    for r in t.rows:
        rows.append(
            [
                _p(
                    words.number(v, c.unit) if isinstance(v, int | float) else words.cell(v, c),
                    st["cell"] if c.unit is Unit.text else st["num"],
                )
                for v, c in zip(r.cells, t.columns, strict=True)
            ]
        )
    style: list[Any] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, LINE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    style += [
        ("FONTNAME", (0, i), (-1, i), FONT_BOLD) for i, r in enumerate(t.rows, start=1) if r.total
    ]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(style))
    out: list[Flowable] = [_p(words(t.title), st["h2"]), Spacer(1, 1.5 * mm), table]
    if t.note:
        out.append(_p(words(t.note), st["note"]))
    return [*out, Spacer(1, 3 * mm)]


def _section(section: Section, words: Words, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [_p(words(section.title), st["h1"])]
    if section.note:
        out.append(_p(words(section.note), st["note"]))
    out += _figures(section, words, st)
    for chart in section.charts:
        out.append(
            KeepTogether(
                [_p(words(chart.title), st["h2"]), chart_drawing(chart, words, width=WIDTH)]
            )
        )
    for m in section.maps:
        out.append(KeepTogether([_p(words(m.title), st["h2"]), map_drawing(m, words, width=WIDTH)]))
    for t in section.tables:
        out += _table(t, words, st)
    return out


def write_pdf(report: Report, words: Words, edition: Edition | None) -> bytes:
    """The report as PDF bytes."""
    register_fonts()
    st = _styles()
    out = io.BytesIO()
    title = f"{words(report.title)} — {words(report.city_name)}, {report.period.label}"

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(GREY)
        canvas.drawString(18 * mm, 10 * mm, title)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="Tartip",
        lang=words.locale,
    )
    story = _header(report, words, edition, st)
    for section in report.sections:
        story += _section(section, words, st)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
