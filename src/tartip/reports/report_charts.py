"""Charts of the report drawn as inline SVG on the server: shapes computed here, drawn by
``reports/_charts.html``. No JavaScript and no CDN: the page and the PDF show the same picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tartip.reports.report_model import Chart, ChartKind

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 8, 36
# Colour-blind-safe palette (Okabe–Ito), one colour per series.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")


@dataclass(frozen=True)
class Bar:
    """One rectangle, with its hover text."""

    x: float
    y: float
    w: float
    h: float
    color: str
    title: str


@dataclass(frozen=True)
class Line:
    """One series drawn as a polyline."""

    points: str
    color: str
    label: str


@dataclass(frozen=True)
class Tick:
    """An axis label at a position."""

    pos: float
    text: str


@dataclass(frozen=True)
class Layout:
    """Everything the template draws for one chart."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    lines: tuple[Line, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    legend: tuple[tuple[str, str], ...]  # (colour, series label)
    empty: bool


def nice_max(value: float) -> float:
    """A round top for the y axis at or above ``value`` (1, 2 or 5 × a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ") if value >= 10 or value == int(value) else f"{value:g}"


def layout(chart: Chart) -> Layout:
    """The shapes of ``chart`` in a ``WIDTH`` × ``HEIGHT`` box."""
    top = nice_max(chart.peak)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(chart.x), 1)
    slot = plot_w / n

    def y_of(v: float) -> float:
        return TOP + plot_h - plot_h * v / top

    colors = {s.key: PALETTE[i % len(PALETTE)] for i, s in enumerate(chart.series)}
    bars: list[Bar] = []
    lines: list[Line] = []
    if chart.kind is ChartKind.line:
        for s in chart.series:
            pts = [
                f"{LEFT + slot * (i + 0.5):.1f},{y_of(v):.1f}"
                for i, v in enumerate(s.values)
                if v is not None
            ]
            lines.append(Line(" ".join(pts), colors[s.key], s.label))
    else:
        groups = 1 if chart.kind is ChartKind.stacked else max(len(chart.series), 1)
        width = slot * 0.8 / groups
        for i, label in enumerate(chart.x):
            base = 0.0
            for j, s in enumerate(chart.series):
                v = s.values[i] or 0.0
                if v <= 0:
                    continue
                if chart.kind is ChartKind.stacked:
                    x, y0 = LEFT + slot * (i + 0.1), base
                    base += v
                else:
                    x, y0 = LEFT + slot * (i + 0.1) + width * j, 0.0
                y_top = y_of(y0 + v)
                bars.append(
                    Bar(x, y_top, width, y_of(y0) - y_top, colors[s.key], f"{label}: {_number(v)}")
                )
    y_ticks = tuple(Tick(y_of(top * k / 4), _number(top * k / 4)) for k in range(5))
    every = max(1, math.ceil(n / 12))  # at most about 12 labels along x
    x_ticks = tuple(
        Tick(LEFT + slot * (i + 0.5), text) for i, text in enumerate(chart.x) if i % every == 0
    )
    return Layout(
        width=WIDTH,
        height=HEIGHT,
        bars=tuple(bars),
        lines=tuple(lines),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        legend=tuple((colors[s.key], s.label) for s in chart.series),
        empty=chart.peak <= 0,
    )
