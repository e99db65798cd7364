"""GeoJSON import and export of zones.

An import is all or nothing: every feature is checked first, and one problem anywhere stops the
whole file, with each problem naming its feature (index, name, code). Ring order is the only thing
repaired, and every repair is reported. A dry run checks and reports without writing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.scope import Scope
from tartip.core.errors import InvalidInput, Problem
from tartip.zones import service
from tartip.zones.enums import ZoneKind, ZonePhase
from tartip.zones.models import Zone
from tartip.zones.schemas import ImportedZone, ImportReport, ZoneCreate

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_FEATURES = 20_000
# Properties read from each feature; anything else (ids, phases from an export) is ignored.
PROPERTY_NAMES = (
    "kind", "name", "code", "description", "radius_m", "capacity", "speed_limit_kph",
    "target_load", "parking_required", "companies", "fleet_caps", "schedule", "active_from",
    "active_until",
)  # fmt: skip
JSON_TEXT_PROPERTIES = ("companies", "fleet_caps", "schedule")
KINDS = ", ".join(k.value for k in ZoneKind)


@dataclass(frozen=True)
class PlannedZone:
    """A feature that passed every check: the zone to create and the repairs made."""

    index: int
    data: ZoneCreate
    repairs: list[str]


def read_collection(raw: bytes) -> list[Any]:
    """The features of a GeoJSON FeatureCollection, or ``InvalidInput`` saying why not."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise InvalidInput(
            "the file is too large",
            problems=[
                Problem("file", f"{len(raw)} bytes; at most {MAX_IMPORT_BYTES} are accepted")
            ],
        )
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            "the file is not JSON", problems=[Problem("file", f"not JSON: {exc}")]
        ) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise InvalidInput(
            "the file is not a GeoJSON FeatureCollection",
            problems=[Problem("file", f"expected a FeatureCollection, found {kind!r}")],
        )
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput(
            "the FeatureCollection has no features",
            problems=[Problem("features", "expected a non-empty list of features")],
        )
    if len(features) > MAX_FEATURES:
        raise InvalidInput(
            "too many features",
            problems=[Problem("features", f"{len(features)}; at most {MAX_FEATURES} per file")],
        )
    return features


def label(index: int, properties: dict[str, Any]) -> str:
    """How a problem names its feature: index, name and code."""
    name, code = properties.get("name"), properties.get("code")
    text = f"feature {index}"
    if name:
        text += f" “{name}”"
    if code:
        text += f" [{code}]"
    return text


def _properties(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        return {}
    out = {k: props[k] for k in PROPERTY_NAMES if props.get(k) is not None}
    for key in JSON_TEXT_PROPERTIES:
        # QGIS and spreadsheets write nested values as JSON text.
        if isinstance(out.get(key), str):
            try:
                out[key] = json.loads(out[key])
            except json.JSONDecodeError:
                pass
    if isinstance(out.get("kind"), str):
        out["kind"] = out["kind"].strip().lower().replace("-", "_").replace(" ", "_")
    return out


def _pydantic_problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if err["loc"][:1] == ("kind",):
            problems.append(f"unknown kind {err.get('input')!r}; use one of {KINDS}")
        elif err["loc"][:1] == ("geometry",):
            problems.append(f"geometry: {err['msg']}")
        else:
            problems.append(f"{where}: {err['msg']}")
    return sorted(set(problems))


def check_feature(
    index: int, feature: Any, *, ctx: service.CityContext
) -> tuple[PlannedZone | None, list[Problem]]:
    """One feature checked: the zone it would create, or its problems (each naming it)."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [Problem(f"feature {index}", "not a GeoJSON Feature")]
    props = _properties(feature)
    where = label(index, props)
    if not isinstance(feature.get("geometry"), dict):
        return None, [Problem(where, "the feature has no geometry")]
    geometry_type = feature["geometry"].get("type")
    if geometry_type not in ("Polygon", "MultiPolygon", "Point"):
        return None, [
            Problem(
                where,
                f"geometry type {geometry_type!r} is not allowed; use Polygon, "
                "MultiPolygon or Point",
            )
        ]
    missing = [k for k in ("kind", "name") if k not in props]
    if missing:
        return None, [Problem(where, f"missing property: {', '.join(missing)}")]
    try:
        data = ZoneCreate.model_validate({**props, "geometry": feature["geometry"]})
    except ValidationError as exc:
        return None, [Problem(where, p) for p in _pydantic_problems(exc)]
    checked, problems = service.check(data, ctx=ctx)
    if checked is None:
        return None, [Problem(where, p.message) for p in problems]
    return PlannedZone(index, data, checked.repairs), []


def plan(db: Session, raw: bytes, *, ctx: service.CityContext) -> list[PlannedZone]:
    """Every feature of a file checked; ``InvalidInput`` lists all problems if there is any."""
    planned: list[PlannedZone] = []
    problems: list[Problem] = []
    for index, feature in enumerate(read_collection(raw)):
        zone, found = check_feature(index, feature, ctx=ctx)
        problems += found
        if zone is not None:
            planned.append(zone)
    problems += _code_problems(db, planned, ctx=ctx)
    if problems:
        raise InvalidInput(
            f"nothing was imported: {len(problems)} problem(s) in the file", problems=problems
        )
    return planned


def _code_problems(
    db: Session, planned: list[PlannedZone], *, ctx: service.CityContext
) -> list[Problem]:
    codes = [p.data.code for p in planned if p.data.code]
    taken = set(
        db.scalars(
            select(Zone.code).where(
                Zone.city_id == ctx.city_id,
                Zone.code.in_(codes),
                Zone.phase != ZonePhase.retired,
            )
        )
    )
    seen: set[str] = set()
    problems = []
    for p in planned:
        code = p.data.code
        if not code:
            continue
        where = label(p.index, {"name": p.data.name, "code": code})
        if code in taken:
            problems.append(Problem(where, f"code {code!r} is already used by a zone of the city"))
        elif code in seen:
            problems.append(Problem(where, f"code {code!r} appears twice in the file"))
        seen.add(code)
    return problems


def import_zones(
    db: Session, *, scope: Scope, raw: bytes, dry_run: bool = False, publish: bool = False
) -> ImportReport:
    """Import zones from a GeoJSON file as drafts (or published); all or nothing."""
    scope.require(*service.EDITORS)
    ctx = service.city_context(db, city_id=scope.city_id)
    planned = plan(db, raw, ctx=ctx)
    created: list[ImportedZone] = []
    with db.begin_nested():
        for p in planned:
            zone_id = None
            if not dry_run:
                zone = service.create(db, scope=scope, data=p.data, ctx=ctx)
                if publish:
                    service.publish(db, scope=scope, zone_id=zone.id)
                zone_id = zone.id
            created.append(
                ImportedZone(
                    index=p.index,
                    name=p.data.name,
                    kind=p.data.kind,
                    code=p.data.code,
                    id=zone_id,
                    repairs=p.repairs,
                )
            )
    return ImportReport(
        dry_run=dry_run,
        published=publish and not dry_run,
        zones=created,
        repairs=sum(len(z.repairs) for z in created),
    )
