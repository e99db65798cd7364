"""Vehicles as a scout meets them: identified by the code printed on them, counted near a task.

The code on a scooter is usually a QR code holding a URL of the company's app with the vehicle's
number somewhere in it (a path segment, or a query parameter such as ``id`` or ``scooter``), or
just the number typed by hand. ``candidates`` reads it liberally; ``identify`` matches the
candidates against the live feed's vehicle ids, and guesses the company from the URL's host or a
prefix when the feed does not know the vehicle (GBFS ids rotate after each trip).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.cities import service as cities_service
from tartip.cities.models import Company
from tartip.core.geo import METRES_PER_DEGREE, haversine_m
from tartip.fleet.models import Vehicle

ID_PARAMS = ("id", "vehicle_id", "vehicle", "scooter", "scooter_id", "qr", "code", "number", "sn")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{2,63}")
NEAR_M = 60.0  # the radius counted around a task: one clutter, one parking place


def candidates(code: str) -> list[str]:
    """Possible vehicle ids in a typed or scanned code, most likely first."""
    text = code.strip()
    found: list[str] = []
    if "://" in text or text.lower().startswith("www."):
        parts = urlsplit(text if "://" in text else f"https://{text}")
        params = dict(parse_qsl(parts.query)) | dict(parse_qsl(parts.fragment))
        found += [params[k] for k in ID_PARAMS if params.get(k)]
        found += [s for s in reversed(parts.path.split("/")) if TOKEN.fullmatch(s)]
    else:
        found.append(text)
        found += TOKEN.findall(text)
    seen: set[str] = set()
    out = []
    for value in found:
        value = value.strip()
        if value and value.lower() not in seen:
            seen.add(value.lower())
            out.append(value)
    return out[:8]


def _company_hint(code: str, companies: list[Company]) -> Company | None:
    text = code.lower()
    host = urlsplit(text if "://" in text else f"https://{text}").hostname or ""
    for company in companies:
        token = company.slug.split("-")[0]
        if (host and token in host) or text.startswith((company.slug, company.name.lower())):
            return company
    return None


@dataclass(frozen=True)
class Identified:
    """What a code matched."""

    code: str
    candidates: list[str]
    company: Company | None
    vehicle: Vehicle | None


def identify(db: Session, *, city_id: int, code: str) -> Identified:
    """Match a typed or scanned code to a company and a vehicle of the live feed."""
    options = candidates(code)
    companies = cities_service.list_companies(db, city_id=city_id)
    hint = _company_hint(code, companies)
    vehicle = None
    if options:
        stmt = select(Vehicle).where(
            Vehicle.city_id == city_id,
            Vehicle.in_feed.is_(True),
            func.lower(Vehicle.vehicle_id).in_([o.lower() for o in options]),
        )
        found = list(db.scalars(stmt))
        if hint is not None:
            found.sort(key=lambda v: v.company_id != hint.id)
        vehicle = found[0] if found else None
    company = hint
    if vehicle is not None:
        company = next((c for c in companies if c.id == vehicle.company_id), hint)
    return Identified(code=code, candidates=options, company=company, vehicle=vehicle)


def nearby_counts(
    db: Session, *, city_id: int, lon: float, lat: float, radius_m: float = NEAR_M
) -> dict[int, int]:
    """Vehicles of each company in the live feed within ``radius_m`` of a place."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    stmt = select(Vehicle.company_id, Vehicle.lon, Vehicle.lat).where(
        Vehicle.city_id == city_id,
        Vehicle.in_feed.is_(True),
        Vehicle.lon.between(lon - dlon, lon + dlon),
        Vehicle.lat.between(lat - dlat, lat + dlat),
    )
    counts: dict[int, int] = {}
    for company_id, vlon, vlat in db.execute(stmt):
        if haversine_m(lon, lat, vlon, vlat) <= radius_m:
            counts[company_id] = counts.get(company_id, 0) + 1
    return counts
