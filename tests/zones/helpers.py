"""Shared test helpers for zones: scopes, shapes near the centre of Almaty, schema validators."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind
from tartip.zones.models import Zone
from tartip.zones.schemas import ZoneCreate

DATA = Path(__file__).resolve().parents[2] / "src" / "tartip" / "data"
# A quiet block near Abay Ave, well inside the city.
LON, LAT = 76.9286, 43.2567


def scope(city: City, role: Role = Role.supervisor, company_id: int | None = None) -> Scope:
    """A caller of ``city`` with ``role``."""
    return Scope(
        user_id=None,
        username=f"test-{role.value}",
        role=role,
        city_id=city.id,
        company_id=company_id,
    )


def square(
    lon: float = LON, lat: float = LAT, d: float = 0.001, *, clockwise: bool = False
) -> dict:
    """A square polygon around ``(lon, lat)``, counter-clockwise unless asked."""
    ring = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    if clockwise:
        ring.reverse()
    return {"type": "Polygon", "coordinates": [ring]}


def zone_data(kind: ZoneKind = ZoneKind.no_parking, **fields: Any) -> ZoneCreate:
    """A valid zone of ``kind`` (a square near the centre unless a geometry is given)."""
    base: dict[str, Any] = {"kind": kind, "name": f"Test {kind.value}", "geometry": square()}
    if kind is ZoneKind.parking:
        base["capacity"] = 10
    if kind is ZoneKind.slow:
        base["speed_limit_kph"] = 10
    return ZoneCreate.model_validate({**base, **fields})


def make_zone(
    db: Session,
    city: City,
    kind: ZoneKind = ZoneKind.no_parking,
    *,
    publish: bool = False,
    **fields: Any,
) -> Zone:
    """A zone of ``city``, a draft unless ``publish``."""
    who = scope(city)
    zone = zones_service.create(db, scope=who, data=zone_data(kind, **fields))
    if publish:
        zones_service.publish(db, scope=who, zone_id=zone.id)
    return zone


@cache
def gbfs_validator(version: str) -> jsonschema.Draft7Validator:
    """The official GBFS ``geofencing_zones.json`` schema of ``version``."""
    schema = json.loads(
        (DATA / "gbfs-schemas" / f"v{version}" / "geofencing_zones.json").read_text()
    )
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


MDS_ROOT = (DATA / "mds-schemas").as_uri()


def _retrieve(uri: str) -> Resource:
    path = Path(uri.removeprefix("file://"))
    return Resource.from_contents(
        yaml.safe_load(path.read_text()), default_specification=DRAFT202012
    )


@cache
def mds_validator(reference: str, pointer: str) -> jsonschema.Draft202012Validator:
    """A validator for the schema at ``pointer`` of an MDS OpenAPI reference document."""
    registry: Registry = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    uri = f"{MDS_ROOT}/reference/{reference}.yaml"
    return jsonschema.Draft202012Validator(
        {"$ref": f"{uri}#{pointer}"},
        registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def mds_errors(reference: str, path: str, body: dict) -> list[str]:
    """Schema errors of an MDS response body for ``path`` of the reference document."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"/paths/{escaped}/get/responses/200/content/application~1json/schema"
    validator = mds_validator(reference, pointer)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
