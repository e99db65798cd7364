"""The thresholds page's form: each threshold as a field in friendly units, parsed back to values.

A blank field means "not set at this level" (the next level up holds), so a form replaces one
level's overrides exactly as ``PUT /api/v1/compliance/thresholds/{level}`` does. Durations are
typed in seconds or hours, caps per company as ``slug=number`` pairs, the yes/no threshold as a
choice with "not set". No database and no web framework: pages.py renders what this returns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from tartip.compliance.thresholds import Thresholds
from tartip.core.errors import Problem

InputKind = Literal["number", "integer", "caps", "choice"]


@dataclass(frozen=True)
class FieldSpec:
    """One threshold on the form: how it is typed, and the unit its number is in."""

    name: str
    input: InputKind
    unit: str = ""  # "s", "h", "m", or "" for counts of vehicles (the label says so)
    scale: float = 1.0  # stored value = typed number × scale


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("min_parked_s", "number", "s"),
    FieldSpec("min_vehicles", "integer"),
    FieldSpec("capacity_tolerance", "integer"),
    FieldSpec("clutter_count", "integer"),
    FieldSpec("clutter_radius_m", "number", "m"),
    FieldSpec("parked_too_long_s", "number", "h", 3600.0),
    FieldSpec("disabled_too_long_s", "number", "h", 3600.0),
    FieldSpec("target_load", "integer"),
    FieldSpec("fleet_cap", "integer"),
    FieldSpec("fleet_caps", "caps"),
    FieldSpec("parking_required", "choice"),
    FieldSpec("close_grace_s", "number", "s"),
)
BY_NAME = {f.name: f for f in FIELDS}


def to_text(spec: FieldSpec, value: Any) -> str:
    """A stored value as it is typed into the form ("" for none)."""
    if value is None:
        return ""
    if spec.input == "caps":
        return ", ".join(f"{slug}={cap}" for slug, cap in sorted(dict(value).items()))
    if spec.input == "choice":
        return "true" if value else "false"
    number = float(value) / spec.scale
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _number(spec: FieldSpec, text: str) -> float | int:
    number = float(text.replace(",", ".").replace(" ", ""))
    if not math.isfinite(number):
        raise ValueError(text)
    if spec.input == "integer":
        if not number.is_integer():
            raise ValueError(text)
        return int(number)
    value = number * spec.scale
    return int(value) if value.is_integer() else value


def _caps(text: str) -> dict[str, int]:
    caps: dict[str, int] = {}
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        slug, sep, number = part.partition("=")
        if not sep or not slug.strip():
            raise ValueError(part)
        caps[slug.strip()] = int(number.strip())
    return caps


MESSAGES = {
    "number": "type a number",
    "integer": "type a whole number",
    "caps": "type company=number pairs, separated by commas",
    "choice": "choose yes, no or not set",
}


def parse(form: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """The values a submitted form sets (blank fields left out), and what could not be read."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for spec in FIELDS:
        text = form.get(spec.name, "").strip()
        if not text:
            continue
        try:
            if spec.input == "caps":
                values[spec.name] = _caps(text)
            elif spec.input == "choice":
                values[spec.name] = {"true": True, "false": False}[text]
            else:
                values[spec.name] = _number(spec, text)
        except (ValueError, KeyError):
            problems.append(Problem(spec.name, MESSAGES[spec.input]))
    return values, problems + _out_of_range(values)


def _out_of_range(values: dict[str, Any]) -> list[Problem]:
    """What the thresholds' own checks refuse among the values read, so one answer lists all."""
    try:
        Thresholds.model_validate(values)
    except ValidationError as exc:
        return [Problem(".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]
    return []


@dataclass(frozen=True)
class FormRow:
    """One field of the form as shown: what is typed in it, what holds if it stays blank."""

    spec: FieldSpec
    text: str
    inherited: str
    problem: str | None


def rows(
    *,
    values: Mapping[str, Any],
    inherited: Thresholds,
    submitted: Mapping[str, str] | None = None,
    problems: list[Problem] | None = None,
) -> list[FormRow]:
    """Every field of one level's form; after a refused submission, the text as typed."""
    by_field = {p.where.split(".")[0]: p.message for p in problems or []}
    return [
        FormRow(
            spec=spec,
            text=(
                submitted.get(spec.name, "")
                if submitted is not None
                else to_text(spec, values.get(spec.name))
            ),
            inherited=to_text(spec, getattr(inherited, spec.name)),
            problem=by_field.get(spec.name),
        )
        for spec in FIELDS
    ]


def summary(values: Mapping[str, Any]) -> list[tuple[FieldSpec, str]]:
    """The values one level sets, in form order and units, for the overrides table."""
    return [(spec, to_text(spec, values[spec.name])) for spec in FIELDS if spec.name in values]
