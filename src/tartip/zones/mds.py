"""The published rules as MDS 2.0 Geography and Policy documents.

Each published zone version is one immutable MDS geography (its ``geography_id`` is the version's
uid; ``prev_geographies`` names the version it replaced) and one policy with the zone's rules,
plus one fleet-cap policy per capped company. A policy starts at least 20 minutes after it is
published, as MDS requires. MDS ends a policy by a new one with empty rules, which the official
schema (``rules: minItems 1``) refuses, so a replaced or retired version's policy gets its
``end_date`` instead: the one field that changes after publication (docs/decisions/0012).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tartip.zones.enums import PUBLIC_KINDS, ZoneKind
from tartip.zones.geometry import as_multipolygon, json_geometry, oriented, rounded
from tartip.zones.rules import ZoneRule

MDS_VERSION = "2.0.0"
MEDIA_TYPE = "application/vnd.mds+json"
POLICY_NOTICE = timedelta(minutes=20)
# Derived ids (policies, rules, companies without an MDS provider id) are UUIDv5 in this space.
NAMESPACE = uuid.UUID("6c1f3f0e-6a52-4f6b-9a55-2b7c0f7a3e10")
PARKED: dict[str, list[str]] = {"available": [], "non_operational": [], "reserved": []}
ON_STREET: dict[str, list[str]] = {**PARKED, "on_trip": []}
GEOGRAPHY_TYPES = {ZoneKind.service_area: "operating_area"}
MDS_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def ms(moment: datetime) -> int:
    """MDS timestamp: integer milliseconds since the Unix epoch."""
    return int(moment.timestamp() * 1000)


def derived_id(*parts: object) -> str:
    """A stable UUID for something Tartip derives (a policy, a rule)."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


@dataclass(frozen=True)
class Publication:
    """Every published version of a city's public zones, oldest first, and its companies."""

    versions: Sequence[ZoneRule]
    # MDS provider id of each company (by Tartip company id).
    provider_ids: Mapping[int, str]

    def public(self) -> list[ZoneRule]:
        """The versions whose rules bind the companies (duty zones are internal)."""
        return [v for v in self.versions if v.kind in PUBLIC_KINDS]

    def previous(self) -> dict[str, str]:
        """The uid each version replaced, by version uid."""
        last: dict[int, str] = {}
        prev: dict[str, str] = {}
        for v in sorted(self.versions, key=lambda r: (r.zone_id, r.version)):
            if v.zone_id in last:
                prev[v.version_uid] = last[v.zone_id]
            last[v.zone_id] = v.version_uid
        return prev


def geography(rule: ZoneRule, *, prev: str | None) -> dict[str, Any]:
    """One zone version as an MDS Geography."""
    assert rule.in_force_from is not None
    effective = max(rule.in_force_from, rule.active_from or rule.in_force_from)
    area = rounded(as_multipolygon(oriented(rule.geometry)))
    out: dict[str, Any] = {
        "name": rule.name[:255],
        "description": f"{rule.kind.value} zone {rule.code or rule.zone_id} v{rule.version}",
        "geography_type": GEOGRAPHY_TYPES.get(rule.kind, "policy_zone"),
        "geography_id": rule.version_uid,
        "geography_json": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": rule.name, "kind": rule.kind.value},
                    "geometry": json_geometry(area),
                }
            ],
        },
        "published_date": ms(rule.in_force_from),
        "effective_date": ms(effective),
    }
    if rule.in_force_until is not None and rule.in_force_until > effective:
        out["retire_date"] = ms(rule.in_force_until)
    if prev is not None:
        out["prev_geographies"] = [prev]
    return out


def geographies(publication: Publication) -> list[dict[str, Any]]:
    """Every public zone version as an MDS Geography, oldest first."""
    prev = publication.previous()
    return [geography(v, prev=prev.get(v.version_uid)) for v in publication.public()]


def _timing(rule: ZoneRule) -> dict[str, Any]:
    if rule.schedule is None:
        return {}
    end = rule.schedule.end.strftime("%H:%M:%S")
    return {
        "days": [d for d in MDS_DAYS if d in rule.schedule.days],
        "start_time": rule.schedule.start.strftime("%H:%M:%S"),
        # An end before the start runs past midnight; midnight itself is the day's last second.
        "end_time": "23:59:59" if end == "00:00:00" else end,
    }


def _rule(
    rule: ZoneRule, name: str, rule_type: str, geos: list[str], **fields: Any
) -> dict[str, Any]:
    units = {"count": "devices", "speed": "kph"}[rule_type]
    return {
        "name": name,
        "rule_id": derived_id("rule", rule.version_uid, name),
        "rule_type": rule_type,
        "rule_units": units,
        "geographies": geos,
        **fields,
        **_timing(rule),
    }


def zone_rules(rule: ZoneRule, *, parking_uids: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The MDS rules of one zone version, most specific first."""
    geo = [rule.version_uid]
    out: list[dict[str, Any]] = []
    if rule.parking_required:
        if parking_uids:
            # Matched vehicles are not considered by later rules: these may stand here.
            out.append(_rule(rule, "Parking places", "count", list(parking_uids), states=PARKED))
        out.append(
            _rule(rule, "Parking only in parking places", "count", geo, states=PARKED, maximum=0)
        )
    if rule.kind is ZoneKind.no_ride:
        out.append(_rule(rule, "No riding or parking", "count", geo, states=ON_STREET, maximum=0))
    elif rule.kind is ZoneKind.no_parking:
        out.append(_rule(rule, "No parking", "count", geo, states=PARKED, maximum=0))
    elif rule.kind is ZoneKind.parking and rule.capacity is not None:
        out.append(
            _rule(
                rule, "Parking place capacity", "count", geo, states=PARKED, maximum=rule.capacity
            )
        )
    if rule.speed_limit_kph is not None:
        out.append(
            _rule(
                rule,
                "Speed limit",
                "speed",
                geo,
                states={"on_trip": []},
                maximum=rule.speed_limit_kph,
            )
        )
    return out


def _dates(rule: ZoneRule) -> dict[str, int]:
    assert rule.in_force_from is not None
    start = max(rule.in_force_from + POLICY_NOTICE, rule.active_from or rule.in_force_from)
    ends = [m for m in (rule.active_until, rule.in_force_until) if m is not None]
    out = {"published_date": ms(rule.in_force_from), "start_date": ms(start)}
    if ends:
        out["end_date"] = ms(max(min(ends), start))
    return out


def policies_of(
    rule: ZoneRule,
    *,
    prev: str | None,
    provider_ids: Mapping[int, str],
    parking_uids: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The MDS policies of one zone version: its rules, then one fleet cap per capped company."""
    base = {"mode_id": "micromobility", **_dates(rule)}
    out = []
    rules = zone_rules(rule, parking_uids=parking_uids)
    if rules:
        policy: dict[str, Any] = {
            **base,
            "name": rule.name[:255],
            "policy_id": derived_id("policy", rule.version_uid),
            "description": f"Rules of the {rule.kind.value} zone {rule.name}"[:255],
            "rules": rules,
        }
        if rule.company_ids:
            policy["provider_ids"] = sorted(
                provider_ids[c] for c in rule.company_ids if c in provider_ids
            )
        if prev is not None:
            policy["prev_policies"] = [derived_id("policy", prev)]
        out.append(policy)
    for company_id, cap in sorted(rule.fleet_caps.items()):
        provider = provider_ids.get(company_id)
        if provider is None:
            continue
        cap_rule = _rule(
            rule, "Fleet cap", "count", [rule.version_uid], states=ON_STREET, maximum=cap
        )
        cap_policy: dict[str, Any] = {
            **base,
            "name": f"Fleet cap: {rule.name}"[:255],
            "policy_id": derived_id("cap", rule.version_uid, provider),
            "description": f"At most {cap} vehicles of one company in {rule.name}"[:255],
            "provider_ids": [provider],
            "rules": [cap_rule],
        }
        if prev is not None:
            cap_policy["prev_policies"] = [derived_id("cap", prev, provider)]
        out.append(cap_policy)
    return out


def _parking_inside(rule: ZoneRule, versions: Sequence[ZoneRule]) -> list[str]:
    """Parking places in force when ``rule`` was published that lie in its area."""
    at = rule.in_force_from
    assert at is not None
    return [
        v.version_uid
        for v in versions
        if v.kind is ZoneKind.parking
        and v.in_force_from is not None
        and v.in_force_from <= at
        and (v.in_force_until is None or v.in_force_until > at)
        and rule.geometry.intersects(v.geometry)
    ]


def policies(publication: Publication) -> list[dict[str, Any]]:
    """Every policy of every public zone version, in order of start date."""
    prev = publication.previous()
    public = publication.public()
    out: list[dict[str, Any]] = []
    for v in public:
        parking = _parking_inside(v, public) if v.parking_required else []
        out += policies_of(
            v,
            prev=prev.get(v.version_uid),
            provider_ids=publication.provider_ids,
            parking_uids=parking,
        )
    return sorted(out, key=lambda p: (p["start_date"], p["policy_id"]))


def overlaps(policy: Mapping[str, Any], *, start: int | None, end: int | None) -> bool:
    """Whether a policy is effective at some moment of ``[start, end]`` (MDS query semantics)."""
    if start is not None and policy.get("end_date") is not None and policy["end_date"] <= start:
        return False
    return not (end is not None and policy["start_date"] > end)


def parse_accept(accept: str | None) -> str | None:
    """The MDS version an ``Accept`` header asks for; None if it asks for no MDS media type.

    ``application/vnd.mds+json`` without a version is an invalid request: it yields ``""``.
    """
    if not accept:
        return None
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media.lower() != MEDIA_TYPE:
            continue
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "version":
                return value.strip().strip('"')
        return ""
    return None
