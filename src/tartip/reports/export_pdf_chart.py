"""Charts of the report drawn as PDF vector graphics: bars, stacked bars and lines.

Drawn by hand from the chart's numbers (axis, five gridlines, labels thinned to fit) rather than
through reportlab's chart classes, whose label and legend placement is hard to keep legible with
Cyrillic text and 31 days along x.
"""

from __future__ import annotations

import math

from reportlab.graphics.shapes import Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors

from tartip.reports.export import Words
from tartip.reports.report_model import Chart, ChartKind

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
PALETTE = ("#1f6feb", "#e3832b", "#2da44e", "#8250df", "#cf222e", "#6e7781", "#bf8700")
HEIGHT = 150.0
LEFT, BOTTOM, TOP = 42.0, 30.0, 8.0
GRID = colors.HexColor("#d0d7de")
TEXT = colors.HexColor("#24292f")


def nice_top(peak: float) -> float:
    """A round axis top at or above ``peak`` (1, 2, 2.5 or 5 times a power of ten)."""
    if peak <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(peak))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if peak <= step * power:
            return step * power
    return 10.0 * power


def _box(x: float, y: float, w: float, h: float, fill: colors.Color) -> Rect:
    # Colours are set after construction: the typeshed stubs mistype Rect's keyword arguments.
    box = Rect(x, y, w, h)
    box.fillColor = fill
    box.strokeColor = None
    return box


def _axis(d: Group, chart: Chart, words: Words, top: float, plot_w: float) -> None:
    plot_h = HEIGHT - BOTTOM - TOP
    for i in range(6):
        y = BOTTOM + plot_h * i / 5
        d.add(Line(LEFT, y, LEFT + plot_w, y, strokeColor=GRID, strokeWidth=0.4))
        d.add(
            String(
                LEFT - 3,
                y - 2.5,
                words.number(top * i / 5, chart.unit),
                fontName=FONT,
                fontSize=6.5,
                textAnchor="end",
                fillColor=TEXT,
            )
        )
    n = len(chart.x)
    step = max(1, math.ceil(n / 16))  # at most ~16 labels along x
    slot = plot_w / max(n, 1)
    for i, x in enumerate(chart.x):
        if i % step:
            continue
        label = words(x) if chart.translate_x else x
        d.add(
            String(
                LEFT + slot * (i + 0.5),
                BOTTOM - 9,
                label[-5:] if len(label) == 10 else label[:12],  # dates: "06-30"
                fontName=FONT,
                fontSize=6,
                textAnchor="middle",
                fillColor=TEXT,
            )
        )


def _bars(d: Group, chart: Chart, top: float, plot_w: float) -> None:
    plot_h = HEIGHT - BOTTOM - TOP
    n, k = len(chart.x), len(chart.series)
    slot = plot_w / max(n, 1)
    for i in range(n):
        base = 0.0
        for j, s in enumerate(chart.series):
            value = s.values[i] or 0.0
            h = plot_h * value / top
            fill = colors.HexColor(PALETTE[j % len(PALETTE)])
            if chart.kind is ChartKind.stacked:
                x, w, y = LEFT + slot * (i + 0.1), slot * 0.8, BOTTOM + plot_h * base / top
                base += value
            else:
                w = slot * 0.8 / k
                x, y = LEFT + slot * (i + 0.1) + w * j, BOTTOM
            if h > 0:
                d.add(_box(x, y, w, h, fill))


def _lines(d: Group, chart: Chart, top: float, plot_w: float) -> None:
    plot_h = HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(chart.x), 1)
    for j, s in enumerate(chart.series):
        points: list[float] = []
        for i, value in enumerate(s.values):
            if value is None:
                continue
            points += [LEFT + slot * (i + 0.5), BOTTOM + plot_h * value / top]
        if len(points) >= 4:
            color = colors.HexColor(PALETTE[j % len(PALETTE)])
            d.add(PolyLine(points, strokeColor=color, strokeWidth=1.2))


def _legend(d: Drawing, chart: Chart, words: Words) -> None:
    if len(chart.series) < 2:
        return
    x = LEFT
    for j, s in enumerate(chart.series):
        label = words(s.label) if chart.translate_series else s.label
        color = colors.HexColor(PALETTE[j % len(PALETTE)])
        d.add(_box(x, 4, 7, 7, color))
        d.add(String(x + 10, 5, label[:24], fontName=FONT, fontSize=6.5, fillColor=TEXT))
        x += 20 + 4.2 * min(len(label), 24)


def chart_drawing(chart: Chart, words: Words, *, width: float) -> Drawing:
    """The chart as a drawing ``width`` points wide (its labels in ``words``' locale)."""
    legend = 12.0 if len(chart.series) > 1 else 0.0
    d = Drawing(width, HEIGHT + legend)
    plot_w = width - LEFT - 4
    top = nice_top(chart.peak)
    plot = Group()
    _axis(plot, chart, words, top, plot_w)
    if chart.kind is ChartKind.line:
        _lines(plot, chart, top, plot_w)
    else:
        _bars(plot, chart, top, plot_w)
    plot.translate(0, legend)  # the legend sits under the plot
    d.add(plot)
    _legend(d, chart, words)
    return d
