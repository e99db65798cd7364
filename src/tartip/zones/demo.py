"""The Almaty demo's zones: duty zones, parking places, no-parking, slow and no-ride zones.

They ship in ``data/almaty/demo_zones.geojson``, derived from OpenStreetMap data
(© OpenStreetMap contributors, ODbL 1.0) and the 2023 akimat rules; docs/zones.md says how.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.core.errors import InvalidInput
from tartip.zones import service, transfer
from tartip.zones.models import Zone

DEMO_FILE = "data/almaty/demo_zones.geojson"


def demo_features() -> list[dict[str, Any]]:
    """The features of the demo zone file."""
    text = (resources.files("tartip") / DEMO_FILE).read_text(encoding="utf-8")
    features: list[dict[str, Any]] = json.loads(text)["features"]
    return features


def seed_demo_zones(db: Session, city: City) -> list[Zone]:
    """Create and publish the demo zones a city lacks (matched by code); returns those created."""
    scope = Scope(user_id=None, username="demo", role=Role.admin, city_id=city.id)
    ctx = service.city_context(db, city_id=city.id)
    existing = set(db.scalars(select(Zone.code).where(Zone.city_id == city.id)))
    created = []
    for index, feature in enumerate(demo_features()):
        props = feature["properties"]
        if props.get("code") in existing:
            continue
        caps = props.get("fleet_caps") or {}
        # A city seeded without one of the companies simply gets no cap for it.
        props = {**props, "fleet_caps": {k: v for k, v in caps.items() if k in ctx.id_by_slug}}
        planned, problems = transfer.check_feature(index, {**feature, "properties": props}, ctx=ctx)
        if planned is None:
            raise InvalidInput("the demo zones do not fit this city", problems=problems)
        zone = service.create(db, scope=scope, data=planned.data, ctx=ctx)
        service.publish(db, scope=scope, zone_id=zone.id)
        created.append(zone)
    return created
