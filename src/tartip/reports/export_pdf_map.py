"""Maps of the report drawn as PDF vector graphics: district outlines, shaded places, a legend
and a scale bar, from ``report_maps.layout`` (the same layout the web page draws). No tiles.

reportlab's y axis grows upwards, the layout's downwards: every y is flipped here. Holes in a
polygon are not cut out (zones and hexagons have none; a district's would be drawn filled).
"""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors

from tartip.reports import report_maps
from tartip.reports.export import Words
from tartip.reports.export_pdf_chart import FONT, TEXT
from tartip.reports.report_model import Map, Unit

MAP_HEIGHT = 300.0  # the map's largest height in points
LEGEND = 44.0  # room under the map for the legend and the scale bar


def _flip(ring: tuple[tuple[float, float], ...], height: float, lift: float) -> list[float]:
    return [v for x, y in ring for v in (x, height - y + lift)]


def scale_text(metres: int, words: Words) -> str:
    """The scale bar's label: ``500 m``, ``5 km`` in the locale's words."""
    if metres >= 1000:
        return f"{words.number(metres / 1000, Unit.number)} {words('km')}"
    return f"{metres} {words('m')}"


def map_drawing(m: Map, words: Words, *, width: float) -> Drawing:
    """The map as a drawing ``width`` points wide, its legend and scale bar underneath."""
    lay = report_maps.layout(m, width=width, max_height=MAP_HEIGHT, locale=words.locale)
    d = Drawing(width, lay.height + LEGEND)
    for shape in lay.shapes:
        for ring in shape.rings[:1]:  # the exterior ring (see the module's note)
            poly = Polygon(_flip(ring, lay.height, LEGEND))
            poly.fillColor = colors.HexColor(shape.fill) if shape.fill else None
            poly.strokeColor = colors.white
            poly.strokeWidth = 0.2
            d.add(poly)
    for shape in lay.base:
        for ring in shape.rings:
            outline = Polygon(_flip(ring, lay.height, LEGEND))
            outline.fillColor = None
            outline.strokeColor = colors.HexColor(report_maps.BASE_STROKE)
            outline.strokeWidth = 0.5
            d.add(outline)
    _legend(d, m, lay, words)
    return d


def _legend(d: Drawing, m: Map, lay: report_maps.MapLayout, words: Words) -> None:
    d.add(String(0, 30, words(m.layer.label), fontName=FONT, fontSize=7.5, fillColor=TEXT))
    x = 0.0
    for c in lay.classes:
        box = Rect(x, 14, 10, 8)
        box.fillColor = colors.HexColor(c.colour)
        box.strokeColor = None
        d.add(box)
        text = f"{words.number(c.low, m.layer.unit)}–{words.number(c.high, m.layer.unit)}"
        d.add(String(x + 13, 15, text, fontName=FONT, fontSize=6.5, fillColor=TEXT))
        x += 16 + 4.0 * len(text)
    if lay.scale_metres:
        right = lay.width
        left = right - lay.scale_length
        d.add(Line(left, 16, right, 16, strokeColor=TEXT, strokeWidth=1))
        for end in (left, right):
            d.add(Line(end, 13, end, 19, strokeColor=TEXT, strokeWidth=1))
        d.add(
            String(
                right,
                22,
                scale_text(lay.scale_metres, words),
                fontName=FONT,
                fontSize=6.5,
                textAnchor="end",
                fillColor=TEXT,
            )
        )
    if m.note:
        d.add(String(0, 2, words(m.note), fontName=FONT, fontSize=6.5, fillColor=TEXT))
