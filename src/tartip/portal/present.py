"""Turning portal views into what pages and the API show: GeoJSON for the maps, API schemas."""

from __future__ import annotations

from typing import Any

from tartip.compliance import service as compliance_service
from tartip.compliance.schemas import ViolationFeature
from tartip.core.geo import geometry_to_geojson
from tartip.portal.schemas import CaseCountRead, FeedHealthRead, PortalOverview
from tartip.portal.service import Overview, RuleView

# Map colours of violation kinds and zone kinds (the same as the live map's).
VIOLATION_COLOURS = {
    "no_parking": "#d62828",
    "no_ride": "#9d0208",
    "outside_parking": "#f77f00",
    "over_capacity": "#fcbf49",
    "clutter": "#e76f51",
    "parked_too_long": "#6a4c93",
    "disabled_too_long": "#495057",
    "fleet_cap": "#1982c4",
    "outside_service_area": "#8ac926",
    "duty_overload": "#ff006e",
}
ZONE_COLOURS = {
    "parking": "#2a9d8f",
    "no_parking": "#d62828",
    "no_ride": "#9d0208",
    "slow": "#f4a261",
    "service_area": "#1d3557",
}


def violations_geojson(
    rows: list[compliance_service.ViolationRow], *, query: str
) -> dict[str, Any]:
    """Violations as GeoJSON points for the portal map, each with its kind and detail link."""
    features = []
    for row in rows:
        feature = ViolationFeature.from_row(row).model_dump(mode="json")
        kind = feature["properties"]["kind"]
        feature["properties"] = {
            "kind": kind,
            "colour": VIOLATION_COLOURS.get(kind, "#6b7280"),
            "detail": row.zone_name or (row.violation.evidence or {}).get("zone_name") or "",
            "href": f"/portal/violations/{row.violation.id}{query}",
        }
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def rules_geojson(rules: list[RuleView]) -> dict[str, Any]:
    """The zones binding the company as GeoJSON areas, coloured by kind, faded when inactive."""
    features = [
        {
            "type": "Feature",
            "id": view.rule.zone_id,
            "geometry": geometry_to_geojson(view.rule.geometry),
            "properties": {
                "kind": view.rule.kind.value,
                "detail": view.rule.name,
                "colour": ZONE_COLOURS.get(view.rule.kind, "#6b7280"),
                "faded": not view.active_now,
            },
        }
        for view in rules
    ]
    return {"type": "FeatureCollection", "features": features}


def overview_read(overview: Overview) -> PortalOverview:
    """The API form of a company's overview."""
    vehicles = overview.vehicles
    return PortalOverview(
        company=overview.company.slug,
        company_name=overview.company.name,
        vehicles=vehicles.total,
        vehicles_by_status={status.value: n for status, n in vehicles.by_status.items()},
        vehicles_stale=vehicles.stale,
        open_violations=overview.open_violations,
        open_violations_by_kind={k.value: n for k, n in overview.violations_by_kind.items()},
        feeds=[FeedHealthRead.model_validate(f) for f in overview.feeds],
        cases=[CaseCountRead(key=c.key, open=c.open, overdue=c.overdue) for c in overview.cases],
    )
