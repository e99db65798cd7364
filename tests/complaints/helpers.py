"""Builders for complaints tests: configuration, complaints, scopes."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.scope import Scope
from tartip.cities.models import City
from tartip.complaints import service as complaints
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import ComplaintCategory, ComplaintSource
from tartip.complaints.matching import MatchParams
from tartip.complaints.models import Complaint
from tartip.complaints.schemas import ComplaintCreate
from tartip.core.clock import utcnow

CENTRE = (76.9286, 43.2567)


def config(root: Path | None = None, **match: float) -> ComplaintConfig:
    """A configuration with the settings' defaults (a 40 m radius, ±20 min)."""
    params = MatchParams(
        radius_m=match.get("radius_m", 40.0),
        window=timedelta(minutes=match.get("window_min", 20)),
        live_for=timedelta(minutes=match.get("live_min", 30)),
        lookback=timedelta(days=2),
    )
    media = root or Path("var")
    return ComplaintConfig(
        match=params, media_root=media, media_roots=(media,), public_base_url="https://tartip.kz"
    )


def staff_scope(city: City, role: Role = Role.supervisor, user_id: int | None = None) -> Scope:
    return Scope(user_id=user_id, username=f"test-{role.value}", role=role, city_id=city.id)


def scope_of(user: User) -> Scope:
    return auth_service.scope_for(user, default_city_id=0)


def file(
    db: Session,
    city: City,
    *,
    category: ComplaintCategory = ComplaintCategory.badly_parked,
    lon: float = CENTRE[0],
    lat: float = CENTRE[1],
    occurred_at: datetime | None = None,
    now: datetime | None = None,
    scope: Scope | None = None,
    source: ComplaintSource | None = None,
    email: str = "",
    consent: bool = False,
    cfg: ComplaintConfig | None = None,
    description: str = "",
) -> Complaint:
    """A complaint filed through the service (the public form's path when ``scope`` is None)."""
    data = ComplaintCreate(
        category=category,
        lon=lon,
        lat=lat,
        occurred_at=occurred_at,
        source=source,
        contact_name="Айгуль" if email else "",
        contact_email=email,
        contact_consent=consent,
        description=description,
        locale="ru",
    )
    return complaints.create(
        db, scope=scope, city=city, data=data, config=cfg or config(), now=now or utcnow()
    )


def csrf_of(client: TestClient, path: str = "/complaints/new") -> str:
    """The CSRF token a page carries (its form field)."""
    page = client.get(path)
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
