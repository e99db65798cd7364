"""Checking GBFS documents against the official JSON Schemas (MobilityData ``gbfs-json-schema``).

The schemas ship in ``tartip/data/gbfs-schemas/<version>/<file>.json`` (v1.0 … v3.0, draft-07).
The folder is chosen by the version the document declares (the nearest older one for an unknown
minor version), else by its shape; validators are compiled once per (version, file).

Polls check every field of a document but only a deterministic sample of its big record arrays
(``sample_indices``: evenly spaced, always the first and the last); ``tartip feeds check`` checks
every record. Problems carry the file's JSON path (``data.bikes[17].lat``) with indices of the
full document, not of the sample.

A sampled check first runs a compiled validator (``fastjsonschema``: ≈1 ms for 200 records, where
``jsonschema`` takes ≈13 ms); only a document it rejects goes through ``jsonschema``, which names
every problem. Its ``uri`` format is looser than RFC 3986, so a poll may pass a malformed rental
URI that ``tartip feeds check`` (always ``jsonschema``) reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
import msgspec
from jsonschema import Draft7Validator, ValidationError

from tartip.core.errors import Problem
from tartip.feeds.gbfs.values import KNOWN_VERSIONS, schema_version

SCHEMAS = resources.files("tartip") / "data" / "gbfs-schemas"
# Where the big record arrays are: the ones sampled in polls.
RECORD_ARRAYS: dict[str, tuple[str, ...]] = {
    "free_bike_status": ("data", "bikes"),
    "vehicle_status": ("data", "vehicles"),
    "station_information": ("data", "stations"),
    "station_status": ("data", "stations"),
    "geofencing_zones": ("data", "geofencing_zones", "features"),
}
MAX_MESSAGE = 240
_SHORT_VALUE = 60


@dataclass
class Conformance:
    """The result of checking one document: every problem, and what was checked against what."""

    schema_version: str | None
    problems: list[Problem] = field(default_factory=list)
    # Set when only a sample of the records was checked, saying which.
    sampled: Problem | None = None
    # Set when no schema applies (unknown version, or a file the version does not define).
    skipped: str | None = None


@cache
def validator(version: str, file: str) -> Draft7Validator | None:
    """The compiled validator of ``file`` in ``version`` (None if the version has no such file)."""
    path = SCHEMAS / f"v{version}" / f"{file}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


@cache
def fast_gate(version: str, file: str) -> Any:
    """A compiled check of ``file`` in ``version`` that only says pass or fail (fastjsonschema)."""
    path = SCHEMAS / f"v{version}" / f"{file}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema.pop("$id", None)  # an absolute $id makes fastjsonschema try to fetch it
    return fastjsonschema.compile(schema)


def _passes(version: str, file: str, doc: Any) -> bool:
    try:
        fast_gate(version, file)(doc)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def pick_version(file: str, declared: str | None, doc_shape: str | None) -> str | None:
    """The schema folder for a document: its declared version, else its shape's, else 1.0/2.3.

    An unknown declared version with no telling shape gives None (not checked).

    GBFS 1.0 had no ``version`` field, so an undeclared ≤2.x document is checked as 1.0 when 1.0
    defines the file.
    """
    version = schema_version(declared) or doc_shape
    if version is None and declared is None:
        version = "1.0" if validator("1.0", file) is not None else "2.3"
    return version if version in KNOWN_VERSIONS else None


def check_document(
    doc: Any,
    *,
    file: str,
    declared: str | None,
    doc_shape: str | None = None,
    sample: int | None = None,
) -> Conformance:
    """Check a decoded document; with ``sample``, its record array is checked on a sample only."""
    version = pick_version(file, declared, doc_shape)
    file = _vehicle_file(file, version)
    found = validator(version, file) if version else None
    if found is None or version is None:
        return Conformance(version, skipped=_why_skipped(file, declared, version))
    array_path = RECORD_ARRAYS.get(file)
    records = _get(doc, array_path) if array_path else None
    if sample is None or not isinstance(records, list) or len(records) <= sample:
        return Conformance(version, problems=_problems(found.iter_errors(doc)))
    assert array_path is not None
    indices = sample_indices(len(records), sample)
    sampled_doc = _replace(doc, array_path, [records[i] for i in indices])
    problems = [] if _passes(version, file, sampled_doc) else found.iter_errors(sampled_doc)
    result = Conformance(version, problems=_problems(problems, indices))
    result.sampled = _sample_note(array_path, indices, len(records))
    return result


def check_vehicle_sample(
    header: dict[str, Any],
    records_key: str,
    raws: Sequence[msgspec.Raw],
    *,
    file: str,
    declared: str | None,
    sample: int,
) -> Conformance:
    """Check a vehicle document from its top-level fields and a sample of its raw records.

    Only the sampled records are decoded into Python objects, so the check costs the same for
    300 or 30,000 vehicles.
    """
    shape = "3.0" if records_key == "vehicles" else None
    version = pick_version(file, declared, shape)
    file = _vehicle_file(file, version)
    found = validator(version, file) if version else None
    if found is None or version is None:
        return Conformance(version, skipped=_why_skipped(file, declared, version))
    indices = sample_indices(len(raws), sample)
    records = [msgspec.json.decode(raws[i]) for i in indices]
    doc = {**header, "data": {records_key: records}}
    problems = [] if _passes(version, file, doc) else found.iter_errors(doc)
    result = Conformance(version, problems=_problems(problems, indices))
    if len(indices) < len(raws):
        result.sampled = _sample_note(("data", records_key), indices, len(raws))
    return result


def _vehicle_file(file: str, version: str | None) -> str:
    # A vehicle document is checked as the vehicle file its declared version defines: a "2.2"
    # document shaped like 3.0 is reported against 2.2's free_bike_status, which says exactly
    # what is wrong with it.
    if file not in {"vehicle_status", "free_bike_status"} or version is None:
        return file
    return "vehicle_status" if version.startswith("3") else "free_bike_status"


def sample_indices(total: int, size: int) -> list[int]:
    """``size`` evenly spaced indices of ``range(total)``, always with the first and the last."""
    if total <= size:
        return list(range(total))
    if size <= 1:
        return [0] if size == 1 else []
    step = (total - 1) / (size - 1)
    return sorted({round(i * step) for i in range(size)})


def _sample_note(path: tuple[str, ...], indices: list[int], total: int) -> Problem:
    where = ".".join(path)
    step = (total - 1) / max(len(indices) - 1, 1)
    return Problem(
        where,
        f"schema checked on {len(indices)} of {total} records, evenly spaced (step ~{step:.0f}: "
        f"indices {indices[0]}, {indices[1]}, … {indices[-1]}); all other fields in full",
    )


def _why_skipped(file: str, declared: str | None, version: str | None) -> str:
    if version is None:
        return f"no official schema for version {declared!r}; not checked"
    return f"GBFS {version} defines no {file}; not checked"


def _get(doc: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def _replace(doc: Any, path: tuple[str, ...], value: Any) -> Any:
    """A shallow copy of ``doc`` with ``path`` set to ``value`` (the original is untouched)."""
    if not path:
        return value
    copy = dict(doc)
    copy[path[0]] = _replace(doc[path[0]], path[1:], value)
    return copy


def _problems(errors: Iterable[ValidationError], indices: list[int] | None = None) -> list[Problem]:
    return [Problem(_where(e, indices), _message(e)) for e in errors]


def _where(error: ValidationError, indices: list[int] | None) -> str:
    parts = list(error.absolute_path)
    if indices is not None:
        # The third element of data.<records>[i] (or the fourth for geofencing features).
        for position, part in enumerate(parts):
            if isinstance(part, int) and position >= 2:
                parts[position] = indices[part]
                break
    return format_path(parts) or "(top level)"


def format_path(parts: Iterable[str | int]) -> str:
    """``data.bikes[17].lat`` from path parts."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: ValidationError) -> str:
    message = _shorten_instance(error.message, error.instance)
    if error.validator in {"anyOf", "oneOf"} and error.context:
        reasons = []
        for sub in error.context:
            reason = _shorten_instance(sub.message, sub.instance)
            if reason not in reasons:
                reasons.append(reason)
        message += ": " + "; or ".join(reasons[:4])
    if error.validator == "contains" or "contains" in json.dumps(error.validator_value)[:200]:
        message = _describe_contains(message, error.validator_value)
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def _shorten_instance(message: str, instance: Any) -> str:
    text = repr(instance)
    if len(text) <= _SHORT_VALUE or text not in message:
        return message
    if isinstance(instance, list):
        short = f"the array of {len(instance)} items"
    elif isinstance(instance, dict):
        short = "the object"
    else:
        short = text[: _SHORT_VALUE - 1] + "…"
    return message.replace(text, short)


def _describe_contains(message: str, schema: Any) -> str:
    # The gbfs.json schemas require certain feeds with `contains: {name: {const: …}}`; saying which
    # names is clearer than jsonschema's "None of … are valid".
    names = _const_names(schema)
    if not names:
        return message
    if len(names) == 1:
        return f"does not list the required feed {names[0]!r}"
    return "lists none of " + " or ".join(repr(n) for n in names) + " (one is required)"


def _const_names(schema: Any) -> list[str]:
    found: list[str] = []
    if isinstance(schema, dict):
        const = schema.get("properties", {}).get("name", {}).get("const")
        if isinstance(const, str):
            found.append(const)
        for value in schema.values():
            found.extend(_const_names(value))
    elif isinstance(schema, list):
        for item in schema:
            found.extend(_const_names(item))
    return found
