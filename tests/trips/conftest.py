"""Trips test support: a company's API token, and a real MDS Provider server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tests import builders
from tests.trips.mds import ProviderServer, serve


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    """An MDS Provider API on loopback, with a bearer token."""
    yield from serve(ProviderServer(token="provider-secret"))


@pytest.fixture
def oauth_provider() -> Iterator[ProviderServer]:
    """An MDS Provider API on loopback behind OAuth 2.0 client credentials."""
    yield from serve(ProviderServer(oauth=("tartip", "client-secret")))


def company_token(db: Session, city: City, slug: str) -> str:
    """An API token of a representative of company ``slug``."""
    user = builders.make_user(
        db, city, username=f"{slug}-mds-{builders.uuid.uuid4().hex[:6]}", role=Role.company_rep,
        company_slug=slug,
    )  # fmt: skip
    return builders.token_for(db, user)
