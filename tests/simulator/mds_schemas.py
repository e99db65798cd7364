"""The official MDS schemas, ready to check what the simulator serves and pushes.

MDS 2.0: the OpenAPI 3.1 models of ``mds-openapi`` (branch ``v2.0``, copied unchanged into
``data/mds/openapi``, see its README), validated as JSON Schema 2020-12. Two upstream defects
(listed in the project's ``shared/specs/README.md``) are repaired in memory when a file is read,
and only these two:

1. ``models/{vehicle,event,trip}.yaml`` pick the mode with ``oneOf`` over four modes; an object
   without mode-specific fields matches several of them and so fails ``oneOf``. MDS gives each
   ``provider_id`` exactly one mode, and the simulated companies are micromobility providers, so
   the ``oneOf`` keeps the micromobility branch only.
2. ``models/modes/micromobility/event.yaml`` writes ``contains:`` with a list of event types,
   which is not a schema (``jsonschema`` crashes on it). It becomes ``contains: {enum: [...]}``,
   the fix upstream made on ``main``.

MDS 1.2: the JSON Schemas (draft-06) of MDS 1.2.0, used as published.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tartip.trips.statemachine import micromobility

DATA = Path(__file__).resolve().parent / "data" / "mds"
OPENAPI = DATA / "openapi"
MODE_DISPATCH = ("models/vehicle.yaml", "models/event.yaml", "models/trip.yaml")
MICROMOBILITY_EVENT = "models/modes/micromobility/event.yaml"


def _repair(relative: str, schema: Any) -> Any:
    """The two documented repairs, applied to the file at ``relative`` (else unchanged)."""
    if relative in MODE_DISPATCH:
        for part in schema["allOf"]:
            if "oneOf" in part and any("modes/" in str(b) for b in part["oneOf"]):
                part["oneOf"] = [b for b in part["oneOf"] if "micromobility" in b["$ref"]]
    if relative == MICROMOBILITY_EVENT:
        contains = schema["if"]["properties"]["event_types"]
        contains["contains"] = {"enum": contains["contains"]}
    return schema


@cache
def _registry() -> Registry:
    """Every file, read once (a registry that retrieves on demand would re-read them per check)."""
    resources = []
    for path in sorted(OPENAPI.rglob("*.yaml")):
        schema = _repair(path.relative_to(OPENAPI).as_posix(), yaml.safe_load(path.read_text()))
        resource = Resource.from_contents(schema, default_specification=DRAFT202012)
        resources.append((path.as_uri(), resource))
    return Registry().with_resources(resources)


@cache
def _validator(uri: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        {"$ref": uri},
        registry=_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def _messages(errors: Any) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def provider_errors(path: str, body: Any) -> list[str]:
    """What the MDS 2.0 Provider schema finds wrong with a 200 answer of ``path``."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    pointer = f"/paths/{escaped}/get/responses/200/content/application~1json/schema"
    uri = f"{(OPENAPI / 'reference' / 'provider.yaml').as_uri()}#{pointer}"
    return _messages(_validator(uri).iter_errors(body))


def model_errors(model: str, record: Any) -> list[str]:
    """What the MDS 2.0 model ``model`` (e.g. ``event``, ``response/error``) finds wrong."""
    uri = (OPENAPI / "models" / f"{model}.yaml").as_uri()
    return _messages(_validator(uri).iter_errors(record))


@cache
def _v12(name: str) -> jsonschema.Draft6Validator:
    schema = json.loads((DATA / "v1.2.0" / "provider" / f"{name}.json").read_text())
    return jsonschema.Draft6Validator(
        schema, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER
    )


def v12_errors(name: str, body: Any) -> list[str]:
    """What the MDS 1.2 Provider schema ``name`` (trips, status_changes, events, vehicles) finds."""
    return _messages(_v12(name).iter_errors(body))


def micromobility_transitions() -> dict[str, set[str]]:
    """MDS 2.0.2 micromobility: for each event type, the states it may leave (``to`` ignored).

    The transcription Tartip's ingest judges events by (``tartip.trips.statemachine``).
    """
    allowed: dict[str, set[str]] = {}
    for event_type, origin in micromobility().moves:
        allowed.setdefault(event_type, set()).add(origin)
    return allowed


def micromobility_targets() -> dict[str, set[str]]:
    """MDS 2.0.2 micromobility: for each event type, the states it may lead to."""
    return {event_type: set(states) for event_type, states in micromobility().leads_to.items()}
