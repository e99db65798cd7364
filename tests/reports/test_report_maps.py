"""The report's maps: put in order by zone and violations by hexagon, on the page, in the PDF
(legend text and the shaded drawing read back) and in the XLSX, and kept in an issued snapshot."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pypdf
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities import districts
from tartip.cities.models import City
from tartip.compliance.enums import ViolationKind
from tartip.compliance.models import Violation
from tartip.core.i18n import catalogue
from tartip.ops.models import WorkLog
from tartip.reports import issue_snapshot, report, report_maps, report_period, report_records
from tartip.reports.export import ExportFormat, render
from tartip.reports.report_model import Report, msgids
from tests import builders
from tests.ops.helpers import make_duty_zone
from tests.reports import helpers as h

NOW = h.AFTER


def _last_log_in(db: Session, zone_id: int | None) -> None:
    log = db.scalars(select(WorkLog).order_by(WorkLog.id.desc())).first()
    assert log is not None
    log.zone_id = zone_id
    db.flush()


def seed(db: Session, city: City) -> dict[str, int]:
    """June: zone A 5 scooters, zone B 4, 7 outside zones; violations in two hexagons."""
    jet, yandex = builders.company(db, city, "jet"), builders.company(db, city, "yandex-go")
    a = make_duty_zone(db, city, name="Zone A", lon=76.93, lat=43.25)
    b = make_duty_zone(db, city, name="Zone B", lon=76.95, lat=43.24)
    h.put_in_order(db, {jet: 3, yandex: 2}, h.at(days=1))
    _last_log_in(db, a.id)
    h.put_in_order(db, {jet: 4}, h.at(days=2))
    _last_log_in(db, b.id)
    h.put_in_order(db, {yandex: 7}, h.at(days=3))  # no zone: not on the map
    h.put_in_order(db, {jet: 50}, datetime(2026, 7, 1, 12, tzinfo=UTC))  # July
    _last_log_in(db, a.id)
    for kind in (ViolationKind.clutter, ViolationKind.clutter, ViolationKind.no_parking):
        h.violation(db, city, jet, kind, h.at(days=4))  # at h.LON, h.LAT
    h.violation(db, city, jet, ViolationKind.clutter, h.at(days=40))  # July
    h.violation(db, city, yandex, ViolationKind.no_ride, h.at(days=5))
    far = db.scalars(select(Violation).order_by(Violation.id.desc())).first()
    assert far is not None
    far.lon, far.lat = 76.87, 43.22  # ~5 km away: another hexagon
    db.flush()
    return {"a": a.id, "b": b.id}


def june_report(db: Session, city: City) -> Report:
    period = report_period.parse(timezone=city.timezone, now=NOW, period="month", at=h.MONTH)
    scope = Scope(user_id=None, username="t", role=Role.supervisor, city_id=city.id)
    return report.build(db, scope=scope, period=period, now=NOW)


def test_the_zone_map_shows_the_by_zone_table_on_the_districts(db: Session, city: City) -> None:
    zones = seed(db, city)
    found = june_report(db, city)
    m = found.map("put_in_order.map")
    values = {f.key: f.value for f in m.layer.features}
    assert values == {str(zones["a"]): 5, str(zones["b"]): 4}
    table = found.table("put_in_order.by_zone")
    links = {r.cells[0]: r.link("count") for r in table.rows}
    assert {f.name: f.records for f in m.layer.features} == {
        "Zone A": links["Zone A"],
        "Zone B": links["Zone B"],
    }
    assert len(m.base) == len(districts.list_districts(db, city_id=city.id)) > 0
    assert all(
        f.geometry["type"] in ("Polygon", "MultiPolygon") for f in (*m.base, *m.layer.features)
    )


def test_violations_are_counted_and_binned_by_hexagon(db: Session, city: City) -> None:
    seed(db, city)
    found = june_report(db, city)
    assert found.figure("violations.opened").value == 4
    assert found.figure("violations.clutter").value == 2
    every = found.map("violations.map").layer
    assert sorted(f.value for f in every.features) == [1, 3]
    assert every.total == found.figure("violations.opened").value
    clutter = found.map("violations.clutter_map").layer
    assert [f.value for f in clutter.features] == [2]
    # Each figure opens the list of the violations behind it.
    staff = Scope(user_id=None, username="t", role=Role.supervisor, city_id=city.id)
    for key in ("violations.opened", "violations.clutter"):
        figure = found.figure(key)
        assert figure.records is not None
        params = dict(figure.records.params)
        listed = report_records.records(
            db, scope=staff, kind=figure.records.figure, start=params.pop("start"),
            end=params.pop("end"), filters=params, now=NOW,
        )  # fmt: skip
        assert listed.total == figure.value and len(listed.rows) == figure.value
    assert {"Violations by place", "Clutter by place", "Violations and clutter"} <= set(
        msgids(found)
    )


def test_layout_fits_the_width_and_classes_every_value() -> None:
    from tartip.reports.report_model import Map, MapFeature, MapLayer, Unit

    square = {"type": "Polygon", "coordinates": [[[0, 0], [0.1, 0], [0.1, 0.1], [0, 0.1], [0, 0]]]}
    m = Map("m", "Map", MapLayer("x", "X", Unit.number, (MapFeature("a", "A", square, 17),)))
    lay = report_maps.layout(m, width=300, max_height=600)
    xs = [x for s in lay.shapes for ring in s.rings for x, _ in ring]
    assert max(xs) == pytest.approx(300) and min(xs) == pytest.approx(0)
    assert lay.classes[-1].high == 20  # a round top above the peak
    assert lay.shapes[0].fill == report_maps.CLASS_COLOURS[-1]  # 17 is in the top class
    assert 0 < lay.scale_length <= 300 / 5 + 1e-6


def test_pdf_draws_the_maps_with_legend_and_scale(db: Session, city: City) -> None:
    seed(db, city)
    content = render(june_report(db, city), fmt=ExportFormat.pdf, locale="ru").content
    ru = catalogue("ru").gettext
    reader = pypdf.PdfReader(io.BytesIO(content))
    pages = [(p.extract_text(), p.get_contents().get_data()) for p in reader.pages]
    text = "\n".join(t for t, _ in pages)
    for msgid in ("Put in order by zone", "Violations by place", "Scooters put in order"):
        assert ru(msgid) in text
    assert re.search(r"\d+ км", text)  # the scale bar's label
    # A shaded place is drawn: the fill colour of the class holding 5 and 4 (of 0..5) is used.
    top = report_maps.CLASS_COLOURS[-1].lstrip("#")
    assert any(_rg_close(s, top) for t, s in pages if ru("Put in order by zone") in t)
    # and nowhere without a map: the colour is the maps' own
    assert not any(
        _rg_close(s, top)
        for t, s in pages
        if ru("Put in order by zone") not in t
        and ru("Violations by place") not in t
        and ru("Clutter by place") not in t
    )


def _rg_close(stream: bytes, hex_colour: str) -> bool:
    """Whether a fill colour within rounding of ``hex_colour`` is set in the page's stream."""
    want = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    for found in re.finditer(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", stream):
        if all(abs(float(v) - w) < 0.01 for v, w in zip(found.groups(), want, strict=True)):
            return True
    return False


def test_xlsx_holds_the_map_values_as_a_table(db: Session, city: City) -> None:
    seed(db, city)
    content = render(june_report(db, city), fmt=ExportFormat.xlsx, locale="en").content
    book = load_workbook(io.BytesIO(content))
    rows = [tuple(r) for ws in book.worksheets for r in ws.iter_rows(values_only=True)]
    assert ("Zone A", 5, None) in [r[:3] for r in rows]
    assert ("Zone B", 4, None) in [r[:3] for r in rows]
    titles = [r[0] for r in rows]
    assert "Violations by place" in titles and "Clutter by place" in titles


def test_an_issued_snapshot_keeps_the_maps(db: Session, city: City) -> None:
    seed(db, city)
    found = june_report(db, city)
    again = issue_snapshot.load(issue_snapshot.dump(found))
    assert again.map("put_in_order.map") == found.map("put_in_order.map")
    assert again.map("violations.map") == found.map("violations.map")
    older = issue_snapshot.dump(found)
    for s in older["sections"]:
        s.pop("maps")  # a snapshot issued before the report had maps
    assert all(not s.maps for s in issue_snapshot.load(older).sections)


def test_the_report_page_draws_the_maps(app_client: TestClient, db: Session, city: City) -> None:
    seed(db, city)
    builders.make_user(db, city, username="official", role=Role.city_viewer)
    builders.login(app_client, "official")
    page = app_client.get("/reports/report", params={"period": "month", "at": h.MONTH})
    assert page.status_code == 200, page.text
    for key in ("put_in_order.map", "violations.map", "violations.clutter_map"):
        figure = re.search(rf'data-testid="map-{re.escape(key)}".*?</figure>', page.text, re.S)
        assert figure, key
        assert "<path" in figure.group(0)
    zone_map = re.search(r'data-testid="map-put_in_order.map".*?</figure>', page.text, re.S)
    assert zone_map and "Zone A: 5" in zone_map.group(0)
