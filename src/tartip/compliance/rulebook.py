"""The zones in force compiled for detection: the spatial index plus one array per rule number.

Compiling 10,000 zones takes tens of milliseconds, so the job keeps a ``RuleBook`` between runs
and compiles again only when a zone version or a threshold changed (``signature``). Schedules are
not compiled in: ``active(at)`` asks each scheduled rule at every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tartip.compliance.index import ZoneIndex, ZoneShape
from tartip.compliance.thresholds import ThresholdBook, Thresholds
from tartip.zones.enums import ZoneKind
from tartip.zones.rules import ZoneRule

KINDS = tuple(ZoneKind)
KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
NONE = -1  # "no value" in integer arrays (no capacity, no target load)


def signature(rules: Sequence[ZoneRule], thresholds: ThresholdBook) -> str:
    """What a compiled book depends on: each zone version and the city's thresholds."""
    versions = ",".join(f"{r.zone_id}.{r.version}" for r in sorted(rules, key=_order))
    return f"{versions}|{thresholds.signature()}"


def _order(rule: ZoneRule) -> tuple[int, int]:
    return (rule.zone_id, rule.version)


class RuleBook:
    """The zones in force and their thresholds, as arrays indexed like ``rules``."""

    def __init__(
        self, rules: Sequence[ZoneRule], thresholds: ThresholdBook, *, lat0: float | None = None
    ) -> None:
        # Sorted by zone id: where overlapping zones compete for a vehicle, the oldest zone wins.
        self.rules = sorted(rules, key=_order)
        self.thresholds = thresholds
        self.city = thresholds.city()
        self.signature = signature(self.rules, thresholds)
        shapes = [ZoneShape(r.geometry, r.point, r.radius_m) for r in self.rules]
        self.index = ZoneIndex(shapes, lat0=lat0)
        self.zone_id = np.array([r.zone_id for r in self.rules], dtype=np.int64)
        self.kind = np.array([KIND_CODE[ZoneKind(r.kind)] for r in self.rules], dtype=np.int8)
        self.parking_required = np.array([r.parking_required for r in self.rules], dtype=bool)
        self._compile_thresholds()
        self.restricted: dict[int, frozenset[int]] = {
            i: r.company_ids for i, r in enumerate(self.rules) if r.company_ids
        }
        self.fleet_caps: dict[int, Mapping[int, int]] = {
            i: r.fleet_caps for i, r in enumerate(self.rules) if r.fleet_caps
        }
        self._scheduled = [
            i
            for i, r in enumerate(self.rules)
            if r.schedule is not None or r.active_from is not None or r.active_until is not None
        ]

    def __len__(self) -> int:
        return len(self.rules)

    def _compile_thresholds(self) -> None:
        by_kind: dict[str, Thresholds] = {}
        per_zone: list[Thresholds] = []
        for rule in self.rules:
            if self.thresholds.has_zone_override(rule.zone_id):
                per_zone.append(self.thresholds.for_zone(zone_id=rule.zone_id, kind=rule.kind))
                continue
            found = by_kind.get(rule.kind)
            if found is None:
                found = self.thresholds.for_zone(zone_id=rule.zone_id, kind=rule.kind)
                by_kind[rule.kind] = found
            per_zone.append(found)
        self.zone_thresholds = per_zone
        self.min_parked_s = np.array([t.min_parked_s for t in per_zone], dtype=np.float64)
        self.min_vehicles = np.array([t.min_vehicles for t in per_zone], dtype=np.int64)
        self.close_grace_s = np.array([t.close_grace_s for t in per_zone], dtype=np.float64)
        self.capacity_limit = np.array(
            [
                NONE if r.capacity is None else r.capacity + t.capacity_tolerance
                for r, t in zip(self.rules, per_zone, strict=True)
            ],
            dtype=np.int64,
        )
        self.target_load = np.array(
            [_target(r, t) for r, t in zip(self.rules, per_zone, strict=True)], dtype=np.int64
        )
        # Each zone's grace before its violations close, where it is not the city's.
        self.zone_close_grace_s = {
            int(z): float(g)
            for z, g in zip(self.zone_id, self.close_grace_s, strict=True)
            if g != self.city.close_grace_s
        }
        # Rules about the kind as a whole: vehicles outside every service area.
        self.service_area = self.thresholds.for_kind(ZoneKind.service_area)
        self._compile_zone_settings()

    def _compile_zone_settings(self) -> None:
        """Values only a zone or its kind sets: NaN (or absent) where neither does."""
        by_kind: dict[str, dict[str, Any]] = {}
        own: list[dict[str, Any]] = []
        for r in self.rules:
            if self.thresholds.has_zone_override(r.zone_id):
                own.append(self.thresholds.set_in_zone(zone_id=r.zone_id, kind=r.kind))
            else:
                if r.kind not in by_kind:
                    by_kind[r.kind] = self.thresholds.set_in_zone(zone_id=r.zone_id, kind=r.kind)
                own.append(by_kind[r.kind])

        def column(name: str) -> NDArray[np.float64]:
            return np.array([float(o.get(name, np.nan)) for o in own], dtype=np.float64)

        self.parked_too_long_s = column("parked_too_long_s")
        self.disabled_too_long_s = column("disabled_too_long_s")
        self.clutter_count = column("clutter_count")
        self.clutter_radius_m = column("clutter_radius_m")
        self.parking_required |= np.array(
            [bool(o.get("parking_required", False)) for o in own], dtype=bool
        )
        # Caps on each company inside a zone: the zone's own caps first (by company id), then
        # the ``fleet_caps`` (by slug) and ``fleet_cap`` its kind or itself set.
        self.threshold_caps: dict[int, ZoneCaps] = {
            i: ZoneCaps(o.get("fleet_cap"), o.get("fleet_caps") or {})
            for i, o in enumerate(own)
            if o.get("fleet_cap") is not None or o.get("fleet_caps")
        }

    def zone_caps(self, z: int) -> ZoneCaps | None:
        """The per-company caps in the rule at index ``z``, if any."""
        own = self.fleet_caps.get(z)
        set_by_threshold = self.threshold_caps.get(z)
        if own is None:
            return set_by_threshold
        base = set_by_threshold or ZoneCaps(None, {})
        return ZoneCaps(base.cap, base.by_slug, own)

    def capped_zones(self) -> list[int]:
        """Indices of rules that cap the companies' vehicles inside them."""
        return sorted(set(self.fleet_caps) | set(self.threshold_caps))

    def active(self, at: datetime) -> NDArray[np.bool_]:
        """Which rules apply at ``at``: all but scheduled ones outside their hours or period."""
        mask = np.ones(len(self.rules), dtype=bool)
        for i in self._scheduled:
            mask[i] = self.rules[i].is_active(at)
        return mask

    def of_kind(self, kind: ZoneKind) -> NDArray[np.bool_]:
        """Which rules are of ``kind``."""
        found: NDArray[np.bool_] = self.kind == KIND_CODE[kind]
        return found


@dataclass(frozen=True)
class ZoneCaps:
    """How many vehicles each company may have inside one zone."""

    cap: int | None
    by_slug: Mapping[str, int]
    by_company: Mapping[int, int] = field(default_factory=dict)

    def for_company(self, company_id: int, slug: str) -> int | None:
        """The cap of one company: the zone's own, else by slug, else the one for all."""
        found = self.by_company.get(company_id)
        if found is not None:
            return found
        return self.by_slug.get(slug, self.cap)


def _target(rule: ZoneRule, thresholds: Thresholds) -> int:
    if rule.target_load is not None:
        return rule.target_load
    return NONE if thresholds.target_load is None else thresholds.target_load
