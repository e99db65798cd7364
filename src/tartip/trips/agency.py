"""MDS Agency 2.0: what a sharing company pushes to Tartip, checked item by item.

Each caller acts for one company (``Scope.company_id``: a company representative's token); every
read and write is limited to that company, and anyone else (city staff included) is refused.

Bulk semantics (MDS General Information, "Bulk Responses", and the Agency OpenAPI document):
every item is checked on its own; the good ones are written, the others are returned as
``failures`` (``item``, ``error``, ``error_description``, ``error_details``) and the answer's
status says what went wrong: 400 when an item is invalid (``bad_param``, ``missing_param``), else
404 when a vehicle is not registered (``unregistered``), else 409 when registering a registered
vehicle (``already_registered``); 201 (200 for ``PUT /vehicles``) when nothing failed. A
duplicate event, trip or telemetry point is accepted and counted as a success (idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.scope import Scope
from tartip.cities.models import Company
from tartip.core.errors import Forbidden
from tartip.db import bulk
from tartip.trips import ingest, schema
from tartip.trips.enums import Source
from tartip.trips.models import MdsVehicle
from tartip.trips.records import READERS_20, read_all

UNREGISTERED = "unregistered"
ALREADY_REGISTERED = "already_registered"
DESCRIPTIONS = {
    UNREGISTERED: "This device_id is unregistered",
    ALREADY_REGISTERED: "A vehicle with device_id is already registered",
}
R = TypeVar("R")


@dataclass
class BulkAnswer:
    """An MDS bulk response and its HTTP status."""

    total: int
    success: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    ok_status: int = 201

    @property
    def status(self) -> int:
        """201/200 when nothing failed; else 400, 404 or 409 by the worst failure."""
        codes = {f["error"] for f in self.failures}
        if not codes:
            return self.ok_status
        if codes & {schema.BAD, schema.MISSING}:
            return 400
        if UNREGISTERED in codes:
            return 404
        return 409

    def body(self) -> dict[str, Any]:
        """The MDS bulk response body."""
        return {"success": self.success, "total": self.total, "failures": self.failures}

    def fail(self, item: Any, error: str, details: Sequence[str], description: str = "") -> None:
        """Add one failed item."""
        self.failures.append(
            {
                "item": item,
                "error": error,
                "error_description": description or DESCRIPTIONS.get(error, error),
                "error_details": list(details),
            }
        )


def company_of(db: Session, scope: Scope) -> Company:
    """The company the caller acts for; ``Forbidden`` for anyone who is not a company's."""
    if scope.company_id is None:
        raise Forbidden(
            "the MDS Agency API is for sharing companies: use a token of the company's account",
            problems=[],
        )
    company = db.get(Company, scope.company_id)
    if company is None or company.city_id != scope.city_id:
        raise Forbidden("the caller's company is not in this city")
    return company


# --- checking items ---------------------------------------------------------------------------


def _checked(
    answer: BulkAnswer, kind: str, reader: str, company: Company, items: Sequence[Any]
) -> list[tuple[Any, Any]]:
    """(item, record) for each item that passes the schema and Tartip's checks."""
    struct, convert = READERS_20[reader]
    good: list[tuple[Any, Any]] = []
    for item in items:
        failure = schema.failure(kind, item)
        if failure is not None:
            answer.fail(item, failure.error, failure.details, failure.description)
            continue
        if company.mds_provider_id and item.get("provider_id") != company.mds_provider_id:
            answer.fail(item, schema.BAD, ["provider_id"], "provider_id is not the caller's")
            continue
        records, problems = read_all([item], struct, convert, where="item")
        if problems:
            details = [
                p.where.removeprefix("item[0].").removeprefix("item[0]") or "item" for p in problems
            ]
            message = "; ".join(f"{d}: {p.message}" for d, p in zip(details, problems, strict=True))
            answer.fail(item, schema.BAD, details, f"A validation error occurred ({message})")
            continue
        good.append((item, records[0]))
    return good


def _registered(
    db: Session, answer: BulkAnswer, company: Company, good: list[tuple[Any, Any]]
) -> list[Any]:
    """The records of ``good`` whose device the company registered; the rest fail."""
    known = ingest.known_vehicles(
        db, company_id=company.id, device_ids=[r.device_id for _, r in good]
    )
    kept = []
    for item, record in good:
        vehicle = known.get(record.device_id)
        if vehicle is None or not vehicle.registered:
            answer.fail(item, UNREGISTERED, ["device_id"])
        else:
            kept.append(record)
    return kept


# --- vehicles ---------------------------------------------------------------------------------


def register_vehicles(
    db: Session, *, scope: Scope, items: Sequence[Any], now: datetime
) -> BulkAnswer:
    """``POST /vehicles``: register new vehicles (a registered one fails ``already_registered``)."""
    company = company_of(db, scope)
    answer = BulkAnswer(total=len(items))
    good = _checked(answer, "vehicle", "vehicles", company, items)
    known = ingest.known_vehicles(
        db, company_id=company.id, device_ids=[r.device_id for _, r in good]
    )
    fresh: list[Any] = []
    adopted: list[Any] = []
    seen: set[str] = set()
    for item, record in good:
        vehicle = known.get(record.device_id)
        if (vehicle is not None and vehicle.registered) or record.device_id in seen:
            answer.fail(item, ALREADY_REGISTERED, ["device_id"])
            continue
        seen.add(record.device_id)
        (fresh if vehicle is None else adopted).append(record)
    ingest.upsert_vehicles(
        db,
        city_id=company.city_id,
        company_id=company.id,
        source=Source.agency.value,
        vehicles=fresh + adopted,
        now=now,
    )
    _mark_registered(
        db, company_id=company.id, device_ids=[r.device_id for r in fresh + adopted], now=now
    )
    answer.success = len(fresh) + len(adopted)
    _audit(db, scope, company, "mds.vehicles.register", fresh + adopted)
    return answer


def update_vehicles(
    db: Session, *, scope: Scope, items: Sequence[Any], now: datetime
) -> BulkAnswer:
    """``PUT /vehicles``: change registered vehicles (an unknown one fails ``unregistered``)."""
    company = company_of(db, scope)
    answer = BulkAnswer(total=len(items), ok_status=200)
    good = _checked(answer, "vehicle", "vehicles", company, items)
    records = _registered(db, answer, company, good)
    ingest.upsert_vehicles(
        db,
        city_id=company.city_id,
        company_id=company.id,
        source=Source.agency.value,
        vehicles=records,
        now=now,
    )
    answer.success = len(records)
    _audit(db, scope, company, "mds.vehicles.update", records)
    return answer


def _mark_registered(db: Session, *, company_id: int, device_ids: list[str], now: datetime) -> None:
    known = ingest.known_vehicles(db, company_id=company_id, device_ids=device_ids)
    rows = [
        {"id": v.id, "registered_at": now, "source": Source.agency.value} for v in known.values()
    ]
    bulk.update_many(db, MdsVehicle.__table__, rows)  # type: ignore[arg-type]


def _audit(db: Session, scope: Scope, company: Company, action: str, records: list[Any]) -> None:
    if not records:
        return
    audit.record(
        db,
        actor=scope.actor,
        action=action,
        entity_type="company",
        entity_id=company.id,
        city_id=company.city_id,
        after={"vehicles": len(records), "device_ids": [r.device_id for r in records[:50]]},
    )


def list_vehicles(
    db: Session, *, scope: Scope, offset: int, limit: int
) -> tuple[list[MdsVehicle], int]:
    """The caller's registered vehicles, by device id, and how many there are in all."""
    company = company_of(db, scope)
    where = (MdsVehicle.company_id == company.id, MdsVehicle.registered_at.is_not(None))
    total = int(db.scalar(select(func.count()).select_from(MdsVehicle).where(*where)) or 0)
    stmt = (
        select(MdsVehicle).where(*where).order_by(MdsVehicle.device_id).offset(offset).limit(limit)
    )
    return list(db.scalars(stmt)), total


def get_vehicle(db: Session, *, scope: Scope, device_id: str) -> MdsVehicle | None:
    """One of the caller's registered vehicles by ``device_id`` (None: not theirs, or unknown)."""
    company = company_of(db, scope)
    stmt = select(MdsVehicle).where(
        MdsVehicle.company_id == company.id,
        MdsVehicle.device_id == device_id.lower(),
        MdsVehicle.registered_at.is_not(None),
    )
    return db.scalars(stmt).first()


def vehicle_json(vehicle: MdsVehicle, company: Company) -> dict[str, Any]:
    """A stored vehicle as an MDS 2.0 vehicle object."""
    return {
        "device_id": vehicle.device_id,
        "provider_id": vehicle.provider_id or company.mds_provider_id,
        "vehicle_id": vehicle.vehicle_id,
        "vehicle_type": vehicle.vehicle_type,
        "propulsion_types": vehicle.propulsion_types,
        **(vehicle.attributes or {}),
    }


# --- events, telemetry, trips -----------------------------------------------------------------


def _push(
    db: Session,
    *,
    scope: Scope,
    items: Sequence[Any],
    kind: str,
    reader: str,
    store: Callable[..., ingest.Stored],
    name: str,
    now: datetime,
) -> BulkAnswer:
    company = company_of(db, scope)
    answer = BulkAnswer(total=len(items))
    good = _checked(answer, kind, reader, company, items)
    records = _registered(db, answer, company, good)
    if records:
        store(
            db,
            city_id=company.city_id,
            company_id=company.id,
            source=Source.agency.value,
            now=now,
            **{name: records},
        )
    answer.success = len(records)
    return answer


def post_events(db: Session, *, scope: Scope, items: Sequence[Any], now: datetime) -> BulkAnswer:
    """``POST /events``: store the caller's vehicle events (impossible transitions flagged)."""
    return _push(
        db, scope=scope, items=items, kind="event", reader="events",
        store=ingest.store_events, name="events", now=now,
    )  # fmt: skip


def post_telemetry(db: Session, *, scope: Scope, items: Sequence[Any], now: datetime) -> BulkAnswer:
    """``POST /telemetry``: store the caller's telemetry points."""
    return _push(
        db, scope=scope, items=items, kind="telemetry", reader="telemetry",
        store=ingest.store_telemetry, name="points", now=now,
    )  # fmt: skip


def post_trips(db: Session, *, scope: Scope, items: Sequence[Any], now: datetime) -> BulkAnswer:
    """``POST /trips``: store the caller's finished trips."""
    return _push(
        db, scope=scope, items=items, kind="trip", reader="trips",
        store=ingest.store_trips, name="trips", now=now,
    )  # fmt: skip
