"""Users and their API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tartip.auth.enums import Role
from tartip.db.base import Base, Timestamped
from tartip.db.types import UTCDateTime


class User(Timestamped, Base):
    """A person (or a machine account) who signs in to Tartip."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    role: Mapped[Role] = mapped_column(String(32))
    # Admins may be without a city (they administer all); everyone else belongs to one.
    city_id: Mapped[int | None] = mapped_column(
        ForeignKey("city.id", ondelete="CASCADE"), index=True, default=None
    )
    # Set for company representatives only: the sharing company whose data they may see.
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True, default=None
    )
    locale: Mapped[str | None] = mapped_column(String(8), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)


class ApiToken(Timestamped, Base):
    """A bearer token a machine uses to act as a user; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown so a person can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
