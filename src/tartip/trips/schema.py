"""MDS records checked against the official schemas where those work, Tartip's checks where not.

The official models ship in ``tartip/data/mds-schemas/models`` (MDS 2.0 OpenAPI, YAML, JSON Schema
2020-12) and ``v1.2`` (MDS 1.2 JSON Schemas, draft-06). The MDS 2.0 models are defective in two
ways (``docs/decisions/0070-mds-ingest.md``):

- ``vehicle``, ``trip`` and ``event`` pick the mode with ``oneOf``, and an object without
  mode-specific fields matches several modes and so fails. Tartip is micromobility only: the
  ``oneOf`` is replaced by the micromobility part (``vehicle``, ``trip``).
- ``modes/micromobility/event.yaml`` is not a valid schema (``contains:`` with a list), and its
  per-state ``event_types`` lists reject legitimate multi-type events (``[trip_end, battery_low]``
  ending in ``non_operational``). For events the shared part of ``event.yaml`` is used (fields,
  types, UUIDs, location or geographies); the micromobility rules are Tartip's own
  (``tartip.trips.records``: states and types of the mode, ``trip_ids`` with trip events;
  ``tartip.trips.statemachine``: transitions, flagged rather than refused).

``failure`` classifies an object's problems as the MDS Agency error codes ``missing_param`` and
``bad_param`` with the fields concerned; ``sample_problems`` reports the problems of a sample of a
pulled page, as the GBFS checks do.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft6Validator, Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tartip.core.errors import Problem
from tartip.feeds.conformance import sample_indices

DATA = resources.files("tartip") / "data" / "mds-schemas"
# A base URI for resolving $refs; nothing is fetched: every one resolves to a packaged file.
BASE = "https://mds.tartip.invalid/2.0/models/"
KINDS = ("vehicle", "trip", "event", "telemetry")
MISSING = "missing_param"
BAD = "bad_param"
MAX_MESSAGE = 240


@dataclass(frozen=True)
class Failure:
    """Why one object was refused: an MDS error code and the fields concerned."""

    error: str
    details: list[str]

    @property
    def description(self) -> str:
        """The MDS error description of the code."""
        if self.error == MISSING:
            return "A required parameter is missing"
        return "A validation error occurred"


def _load(relative: str) -> Any:
    path = DATA / "models"
    for part in relative.split("/"):
        path = path / part
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _model_files() -> list[str]:
    found: list[str] = []
    folders = [("", DATA / "models")]
    while folders:
        prefix, folder = folders.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                folders.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".yaml"):
                found.append(f"{prefix}{entry.name}")
    return sorted(found)


@cache
def _registry() -> Registry[Any]:
    """Every packaged model, read once: resolving a $ref then never reads a file again."""
    resources_ = [
        (f"{BASE}{name}", Resource.from_contents(_load(name), default_specification=DRAFT202012))
        for name in _model_files()
    ]
    return Registry().with_resources(resources_)


def _micromobility(kind: str) -> dict[str, Any]:
    """The official model of ``kind`` with its mode fixed to micromobility (see the docstring)."""
    doc: dict[str, Any] = copy.deepcopy(_load(f"{kind}.yaml"))
    doc["$id"] = f"{BASE}{kind}.yaml"
    if kind in ("vehicle", "trip"):
        doc["allOf"] = [doc["allOf"][0], {"$ref": f"modes/micromobility/{kind}.yaml"}]
    elif kind == "event":
        doc["allOf"] = [part for part in doc["allOf"] if "oneOf" not in part]
    return doc


@cache
def validator(kind: str) -> Draft202012Validator:
    """The validator of one MDS 2.0 kind of object (``vehicle``, ``trip``, ``event``, …)."""
    if kind not in KINDS:
        raise ValueError(f"no MDS model {kind!r}")
    return Draft202012Validator(
        _micromobility(kind),
        registry=_registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


@cache
def model_validator(relative: str) -> Draft202012Validator:
    """A validator of any packaged model as published (``response/bulk.yaml``, …)."""
    return Draft202012Validator({"$ref": f"{BASE}{relative}"}, registry=_registry())


@cache
def validator_12(file: str) -> Draft6Validator:
    """The validator of one MDS 1.2 Provider payload (``trips``, ``status_changes``, …)."""
    schema = json.loads((DATA / "v1.2" / f"{file}.json").read_text(encoding="utf-8"))
    schema.pop("$id", None)  # an absolute $id would make references look on the network
    return Draft6Validator(schema, format_checker=Draft6Validator.FORMAT_CHECKER)


def _path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _required_names(error: ValidationError) -> list[str]:
    # "'device_id' is a required property" → device_id, under the error's own path.
    names = []
    for missing in error.validator_value if isinstance(error.validator_value, list) else []:
        if isinstance(error.instance, dict) and missing not in error.instance:
            names.append(_path([*error.absolute_path, missing]))
    return names


def failure(kind: str, item: Any) -> Failure | None:
    """Why ``item`` is not a valid MDS 2.0 ``kind`` object (None: it is)."""
    if not isinstance(item, dict):
        return Failure(BAD, ["item"])
    missing: list[str] = []
    bad: list[str] = []
    for error in validator(kind).iter_errors(item):
        if error.validator == "required":
            missing += _required_names(error)
        elif error.validator in ("anyOf", "oneOf") and error.context:
            # e.g. an event with neither ``location`` nor ``event_geographies``
            found = [
                n
                for sub in error.context
                if sub.validator == "required"
                for n in _required_names(sub)
            ]
            missing += found
            if not found:
                bad.append(_path(error.absolute_path) or "item")
        else:
            bad.append(_path(error.absolute_path) or "item")
    if missing:
        return Failure(MISSING, sorted(set(missing)))
    if bad:
        return Failure(BAD, sorted(set(bad)))
    return None


def _message(error: ValidationError) -> str:
    text = str(error.message)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def sample_problems(
    kind: str, items: Sequence[Any], *, where: str, sample: int | None
) -> tuple[list[Problem], Problem | None]:
    """Official-schema problems of (a sample of) pulled MDS 2.0 objects, and what was sampled."""
    indices = sample_indices(len(items), sample) if sample is not None else range(len(items))
    problems: list[Problem] = []
    for index in indices:
        for error in validator(kind).iter_errors(items[index]):
            at = _path([index, *error.absolute_path])
            problems.append(Problem(f"{where}{at}", _message(error)))
    sampled = None
    if sample is not None and len(items) > sample:
        sampled = Problem(where, f"schema checked on {len(indices)} of {len(items)} records")
    return problems, sampled


def sample_problems_12(
    file: str, doc: dict[str, Any], key: str, *, sample: int | None
) -> tuple[list[Problem], Problem | None]:
    """Problems of an MDS 1.2 payload against its schema, its records sampled."""
    records = (doc.get("data") or {}).get(key)
    if not isinstance(records, list):
        return [Problem("data", f"no data.{key} array")], None
    indices = sample_indices(len(records), sample) if sample is not None else range(len(records))
    picked = [records[i] for i in indices]
    checked = {**doc, "data": {**doc["data"], key: picked}}
    problems = []
    for error in validator_12(file).iter_errors(checked):
        parts = list(error.absolute_path)
        if len(parts) >= 3 and parts[:2] == ["data", key] and isinstance(parts[2], int):
            parts[2] = list(indices)[parts[2]]  # the index in the full page, not the sample
        problems.append(Problem(_path(parts) or "document", _message(error)))
    sampled = None
    if sample is not None and len(records) > sample:
        sampled = Problem(
            f"data.{key}", f"schema checked on {len(picked)} of {len(records)} records"
        )
    return problems, sampled
