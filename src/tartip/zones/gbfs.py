"""The rules in force now as GBFS ``geofencing_zones.json``, versions 2.3 and 3.0.

GBFS has no weekly schedules: a zone appears while it is active (validity and schedule), and the
short ``ttl`` makes apps fetch again. Where zones overlap, the earlier one wins (GBFS 3.0), so
zones are ordered from the most specific rule to the most general: parking places, no-ride,
no-parking, slow zones, service areas; smaller areas first within a kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from tartip.zones.enums import PUBLIC_KINDS, ZoneKind
from tartip.zones.geometry import as_multipolygon, json_geometry, oriented, rounded
from tartip.zones.rules import ZoneRule

GbfsVersion = Literal["2.3", "3.0"]
TTL_S = 60
ORDER = {
    ZoneKind.parking: 0,
    ZoneKind.no_ride: 1,
    ZoneKind.no_parking: 2,
    ZoneKind.slow: 3,
    ZoneKind.service_area: 4,
}


def _rule(rule: ZoneRule) -> dict[str, Any]:
    """The GBFS 3.0 rule of a zone."""
    start = end = through = True
    if rule.kind is ZoneKind.no_ride:
        start = end = through = False
    elif rule.kind is ZoneKind.no_parking:
        start = end = False
    out: dict[str, Any] = {
        "ride_start_allowed": start,
        "ride_end_allowed": end,
        "ride_through_allowed": through,
    }
    if rule.speed_limit_kph is not None:
        out["maximum_speed_kph"] = rule.speed_limit_kph
    if rule.parking_required:
        out["station_parking"] = True
    return out


def _rule_v23(rule: dict[str, Any]) -> dict[str, Any]:
    # 2.3 has one flag for starting and ending a ride.
    out = {
        "ride_allowed": rule["ride_start_allowed"] and rule["ride_end_allowed"],
        "ride_through_allowed": rule["ride_through_allowed"],
    }
    out.update({k: rule[k] for k in ("maximum_speed_kph", "station_parking") if k in rule})
    return out


def published_rules(
    rules: Sequence[ZoneRule], *, at: datetime, company_id: int | None = None
) -> list[ZoneRule]:
    """The rules active at ``at`` that the companies enforce, in GBFS precedence order."""
    chosen = [
        r
        for r in rules
        if r.kind in PUBLIC_KINDS
        and r.is_active(at)
        and (company_id is None or r.applies_to(company_id))
    ]
    return sorted(chosen, key=lambda r: (ORDER[r.kind], r.geometry.area, r.zone_id))


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _feature(rule: ZoneRule, *, version: GbfsVersion, language: str) -> dict[str, Any]:
    zone_rule = _rule(rule)
    props: dict[str, Any] = {}
    if version == "3.0":
        props["name"] = [{"text": rule.name, "language": language}]
        props["rules"] = [zone_rule]
    else:
        props["name"] = rule.name
        props["rules"] = [_rule_v23(zone_rule)]
    for key, moment in (("start", rule.active_from), ("end", rule.active_until)):
        if moment is not None:
            props[key] = _rfc3339(moment) if version == "3.0" else int(moment.timestamp())
    geometry = rounded(as_multipolygon(oriented(rule.geometry)))
    return {"type": "Feature", "geometry": json_geometry(geometry), "properties": props}


def geofencing_zones(
    rules: Sequence[ZoneRule],
    *,
    version: GbfsVersion,
    at: datetime,
    language: str,
    company_id: int | None = None,
) -> dict[str, Any]:
    """A complete ``geofencing_zones.json`` document of the rules active at ``at``."""
    chosen = published_rules(rules, at=at, company_id=company_id)
    features = [_feature(r, version=version, language=language) for r in chosen]
    data: dict[str, Any] = {"geofencing_zones": {"type": "FeatureCollection", "features": features}}
    if version == "3.0":
        has_service_area = any(r.kind is ZoneKind.service_area for r in chosen)
        # Outside the service area a ride may pass through but not start or end.
        data["global_rules"] = [
            {
                "ride_start_allowed": not has_service_area,
                "ride_end_allowed": not has_service_area,
                "ride_through_allowed": True,
            }
        ]
    return {
        "last_updated": _rfc3339(at) if version == "3.0" else int(at.timestamp()),
        "ttl": TTL_S,
        "version": version,
        "data": data,
    }
