"""The report model as JSON and back: how an issued report keeps its figures unchanged.

``dump`` turns a :class:`~tartip.reports.report_model.Report` into plain JSON (dates and instants
as ISO text, enums as their codes); ``load`` rebuilds the same report. ``digest`` is the SHA-256
of the canonical JSON (sorted keys, no spaces), so two versions can be compared at a glance.
``FORMAT`` is written into every snapshot; a later change of the model bumps it and teaches
``load`` the old shape, so reports issued long ago still open.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from tartip.core.errors import InvalidInput
from tartip.reports.report_model import (
    Chart,
    ChartKind,
    Column,
    Figure,
    Map,
    MapFeature,
    MapKind,
    MapLayer,
    PeriodKind,
    Records,
    Report,
    ReportPeriod,
    Row,
    Section,
    Series,
    Table,
    Unit,
)

FORMAT = 1


def _records(records: Records | None) -> dict[str, Any] | None:
    if records is None:
        return None
    return {"figure": records.figure, "params": [list(p) for p in records.params]}


def _load_records(data: dict[str, Any] | None) -> Records | None:
    if data is None:
        return None
    return Records(data["figure"], tuple((str(k), str(v)) for k, v in data["params"]))


def _figure(f: Figure) -> dict[str, Any]:
    return {
        "key": f.key,
        "label": f.label,
        "value": f.value,
        "unit": f.unit.value,
        "note": f.note,
        "missing": f.missing,
        "records": _records(f.records),
    }


def _table(t: Table) -> dict[str, Any]:
    return {
        "key": t.key,
        "title": t.title,
        "note": t.note,
        "columns": [
            {"key": c.key, "label": c.label, "unit": c.unit.value, "translate": c.translate}
            for c in t.columns
        ],
        "rows": [
            {
                "cells": list(r.cells),
                "records": {k: _records(v) for k, v in r.records.items()},
                "total": r.total,
            }
            for r in t.rows
        ],
    }


def _chart(c: Chart) -> dict[str, Any]:
    return {
        "key": c.key,
        "title": c.title,
        "unit": c.unit.value,
        "kind": c.kind.value,
        "x": list(c.x),
        "series": [{"key": s.key, "label": s.label, "values": list(s.values)} for s in c.series],
        "translate_x": c.translate_x,
        "translate_series": c.translate_series,
    }


def _feature(f: MapFeature) -> dict[str, Any]:
    return {
        "key": f.key,
        "name": f.name,
        "geometry": f.geometry,
        "value": f.value,
        "records": _records(f.records),
        "names": [list(n) for n in f.names],
    }


def _map(m: Map) -> dict[str, Any]:
    layer = m.layer
    return {
        "key": m.key,
        "title": m.title,
        "note": m.note,
        "base": [_feature(f) for f in m.base],
        "layer": {
            "key": layer.key,
            "label": layer.label,
            "unit": layer.unit.value,
            "kind": layer.kind.value,
            "features": [_feature(f) for f in layer.features],
        },
    }


def dump(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data."""
    p = report.period
    return {
        "format": FORMAT,
        "city_id": report.city_id,
        "city_slug": report.city_slug,
        "city_name": report.city_name,
        "title": report.title,
        "complete": report.complete,
        "generated_at": report.generated_at.isoformat(),
        "period": {
            "kind": p.kind.value,
            "first": p.first.isoformat(),
            "last": p.last.isoformat(),
            "timezone": p.timezone,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
        },
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "note": s.note,
                "figures": [_figure(f) for f in s.figures],
                "tables": [_table(t) for t in s.tables],
                "charts": [_chart(c) for c in s.charts],
                "maps": [_map(m) for m in s.maps],
            }
            for s in report.sections
        ],
    }


def _load_table(t: dict[str, Any]) -> Table:
    return Table(
        key=t["key"],
        title=t["title"],
        note=t["note"],
        columns=tuple(
            Column(c["key"], c["label"], Unit(c["unit"]), bool(c["translate"]))
            for c in t["columns"]
        ),
        rows=tuple(
            Row(
                cells=tuple(r["cells"]),
                records={
                    k: rec for k, v in r["records"].items() if (rec := _load_records(v)) is not None
                },
                total=bool(r["total"]),
            )
            for r in t["rows"]
        ),
    )


def _load_chart(c: dict[str, Any]) -> Chart:
    return Chart(
        key=c["key"],
        title=c["title"],
        unit=Unit(c["unit"]),
        kind=ChartKind(c["kind"]),
        x=tuple(c["x"]),
        series=tuple(Series(s["key"], s["label"], tuple(s["values"])) for s in c["series"]),
        translate_x=bool(c["translate_x"]),
        translate_series=bool(c["translate_series"]),
    )


def _load_feature(f: dict[str, Any]) -> MapFeature:
    return MapFeature(
        key=f["key"],
        name=f["name"],
        geometry=f["geometry"],
        value=f["value"],
        records=_load_records(f["records"]),
        names=tuple((str(loc), str(n)) for loc, n in f["names"]),
    )


def _load_map(m: dict[str, Any]) -> Map:
    layer = m["layer"]
    return Map(
        key=m["key"],
        title=m["title"],
        note=m["note"],
        base=tuple(_load_feature(f) for f in m["base"]),
        layer=MapLayer(
            key=layer["key"],
            label=layer["label"],
            unit=Unit(layer["unit"]),
            kind=MapKind(layer["kind"]),
            features=tuple(_load_feature(f) for f in layer["features"]),
        ),
    )


def _load_section(s: dict[str, Any]) -> Section:
    return Section(
        key=s["key"],
        title=s["title"],
        note=s["note"],
        figures=tuple(
            Figure(
                key=f["key"],
                label=f["label"],
                value=f["value"],
                unit=Unit(f["unit"]),
                note=f["note"],
                missing=f["missing"],
                records=_load_records(f["records"]),
            )
            for f in s["figures"]
        ),
        tables=tuple(_load_table(t) for t in s["tables"]),
        charts=tuple(_load_chart(c) for c in s["charts"]),
        # Snapshots issued before the report had maps hold none.
        maps=tuple(_load_map(m) for m in s.get("maps", [])),
    )


def load(data: dict[str, Any]) -> Report:
    """The report kept in ``data`` (``InvalidInput`` for a snapshot of an unknown format)."""
    if data.get("format") != FORMAT:
        raise InvalidInput(
            f"issued report snapshot has format {data.get('format')!r}; this version reads {FORMAT}"
        )
    p = data["period"]
    return Report(
        city_id=data["city_id"],
        city_slug=data["city_slug"],
        city_name=data["city_name"],
        title=data["title"],
        complete=bool(data["complete"]),
        generated_at=datetime.fromisoformat(data["generated_at"]),
        period=ReportPeriod(
            kind=PeriodKind(p["kind"]),
            first=date.fromisoformat(p["first"]),
            last=date.fromisoformat(p["last"]),
            timezone=p["timezone"],
            start=datetime.fromisoformat(p["start"]),
            end=datetime.fromisoformat(p["end"]),
        ),
        sections=tuple(_load_section(s) for s in data["sections"]),
    )


def canonical(data: dict[str, Any]) -> bytes:
    """The snapshot's canonical JSON (sorted keys, no spaces, UTF-8)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(data: dict[str, Any]) -> str:
    """SHA-256 (hex) of the snapshot's canonical JSON, leaving out when it was computed.

    Two versions with equal figures have equal digests, whatever time each was generated.
    """
    figures = {k: v for k, v in data.items() if k != "generated_at"}
    return hashlib.sha256(canonical(figures)).hexdigest()


def sha256(content: bytes) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(content).hexdigest()
