"""Typed builders for the rows tests need: explicit, one function per thing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.auth.schemas import UserCreate
from tartip.cities import service as cities_service
from tartip.cities.models import City, Company

PASSWORD = "correct horse battery"


def make_almaty(db: Session) -> City:
    """Almaty and its three companies (Jet, Yandex Go, Whoosh)."""
    return cities_service.seed_almaty(db)


def company(db: Session, city: City, slug: str) -> Company:
    """One of the city's companies by slug."""
    found = cities_service.get_company(db, city_id=city.id, slug=slug)
    assert found is not None, slug
    return found


def make_user(
    db: Session,
    city: City,
    *,
    username: str,
    role: Role,
    company_slug: str | None = None,
    password: str = PASSWORD,
) -> User:
    """A user of ``city``."""
    data = UserCreate(username=username, password=password, role=role, company_slug=company_slug)
    return auth_service.create(db, scope=None, city=city, data=data)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign ``client`` in through the login form (with its CSRF token)."""
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def token_for(db: Session, user: User) -> str:
    """An API token for ``user``."""
    scope = auth_service.scope_for(user, default_city_id=user.city_id or 0)
    _token, secret = auth_service.create_token(db, scope=scope, user=user, name="test")
    return secret
