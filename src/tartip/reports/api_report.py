"""The operator's report in the JSON API, and the records behind each of its figures."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession
from tartip.reports import report, report_records
from tartip.reports.report_model import Records, Report

router = APIRouter(
    tags=["reports"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not read the report"},
        404: {"model": ErrorBody, "description": "No such kind of records or company"},
        422: {"model": ErrorBody, "description": "The period is malformed or has not begun"},
    },
)

PeriodQuery = Annotated[str | None, Query(description="day, week or month (default: month)")]
AtQuery = Annotated[str | None, Query(description="A date (YYYY-MM-DD), or YYYY-MM for a month")]
StartQuery = Annotated[str | None, Query(description="First local day (custom period)")]
EndQuery = Annotated[str | None, Query(description="Last local day, included (custom period)")]


def _plain(value: Any) -> Any:
    """The model as JSON: dates as ISO text, enums as values, links as paths."""
    if isinstance(value, Records):
        return {"figure": value.figure, "path": value.path, "api_path": value.api_path}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def report_json(found: Report) -> dict[str, Any]:
    """The report as a JSON object (labels are msgids: English, untranslated)."""
    body: dict[str, Any] = {"period_label": found.period.label, "days": found.period.days}
    for name in ("city_id", "city_slug", "city_name", "title", "complete"):
        body[name] = getattr(found, name)
    body["period"] = _plain(asdict(found.period))
    body["generated_at"] = found.generated_at.isoformat()
    body["sections"] = [_section(s) for s in found.sections]
    return body


def _section(section: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"key": section.key, "title": section.title, "note": section.note}
    out["figures"] = [
        {**{k: _plain(getattr(f, k)) for k in ("key", "label", "value", "unit", "note", "missing")},
         "records": _plain(f.records) if f.records else None}
        for f in section.figures
    ]  # fmt: skip
    out["tables"] = [
        {"key": t.key, "title": t.title, "note": t.note,
         "columns": [_plain(asdict(c)) for c in t.columns],
         "rows": [{"cells": list(r.cells), "total": r.total,
                   "records": {k: _plain(v) for k, v in r.records.items()}} for r in t.rows]}
        for t in section.tables
    ]  # fmt: skip
    out["charts"] = [
        {"key": c.key, "title": c.title, "unit": c.unit.value, "kind": c.kind.value,
         "x": list(c.x), "series": [{"key": s.key, "label": s.label, "values": list(s.values)}
                                    for s in c.series]}
        for c in section.charts
    ]  # fmt: skip
    return out


@router.get("/reports/report")
def read_report(
    db: DbSession,
    scope: CurrentScope,
    period: PeriodQuery = None,
    at: AtQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
) -> dict[str, Any]:
    """The operator's report for a day, week, month or custom run of days in the caller's city.

    Every figure carries ``records.api_path``: the list of records it was counted from.
    """
    found = report.build_from_query(db, scope=scope, period=period, at=at, start=start, end=end)
    return report_json(found)


@router.get("/reports/records/{kind}")
def read_records(
    request: Request,
    db: DbSession,
    scope: CurrentScope,
    kind: str,
    start: StartQuery = None,
    end: EndQuery = None,
) -> dict[str, Any]:
    """The records behind a figure; other query parameters narrow it (company, zone, state…)."""
    filters = {k: v for k, v in request.query_params.items() if k not in ("start", "end")}
    found = report_records.records(
        db, scope=scope, kind=kind, start=start, end=end, filters=filters
    )
    return {
        "kind": found.kind,
        "title": found.title,
        "start": found.period.first.isoformat(),
        "end": found.period.last.isoformat(),
        "filters": found.filters,
        "total": found.total,
        "measure": found.measure,
        "truncated": found.truncated,
        "columns": [c.key for c in found.columns],
        "rows": [list(r) for r in found.rows],
        "links": list(found.links),
    }
