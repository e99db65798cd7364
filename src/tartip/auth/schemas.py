"""API schemas of users and tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from tartip.auth.enums import Role
from tartip.core.schemas import TartipModel


class UserCreate(TartipModel):
    """A new user."""

    username: str = Field(min_length=2, max_length=120)
    full_name: str = ""
    password: str = Field(min_length=8, max_length=200)
    role: Role
    company_slug: str | None = None
    locale: str | None = None


class UserRead(TartipModel):
    """A user as the API shows them."""

    id: int
    username: str
    full_name: str
    role: Role
    city_id: int | None
    company_id: int | None
    locale: str | None
    is_active: bool


class TokenCreate(TartipModel):
    """A request for a new API token."""

    name: str = Field(min_length=1, max_length=200)


class TokenRead(TartipModel):
    """An API token without its secret."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    """A new API token: the only time its secret is shown."""

    token: str
