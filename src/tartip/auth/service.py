"""Users, passwords, API tokens and scopes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.audit import service as audit
from tartip.auth.enums import Role
from tartip.auth.models import ApiToken, User
from tartip.auth.schemas import UserCreate
from tartip.auth.scope import Scope
from tartip.cities.models import City, Company
from tartip.core.clock import utcnow
from tartip.core.errors import Conflict, InvalidInput, NotFound, Problem

TOKEN_PREFIX = "tt_"


@dataclass
class _Hashing:
    """How new passwords are hashed: Argon2id with RFC 9106's low-memory profile (argon2-cffi's
    default, about 0.25 s a hash here) unless ``use_password_hasher`` says otherwise."""

    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    # A hash of a random password, checked when the user is unknown so that both paths take the
    # same time; made on first need, not at import (every process start would pay for it).
    dummy: str | None = None

    def dummy_hash(self) -> str:
        if self.dummy is None:
            self.dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self.dummy


_hashing = _Hashing()


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Hash new passwords with ``hasher`` from now on in this process.

    The test suite hashes its thousand users with argon2's cheapest parameters. A hash carries
    its own parameters, so verifying one works whatever the hasher; a login under the default
    hasher re-hashes a weaker one (``authenticate``).
    """
    _hashing.hasher = hasher
    _hashing.dummy = None


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password``."""
    return _hashing.hasher.hash(password)


def get(db: Session, *, user_id: int) -> User | None:
    """The user with this id."""
    return db.get(User, user_id)


def get_by_username(db: Session, *, username: str) -> User | None:
    """The user with this username."""
    return db.scalars(select(User).where(User.username == username)).first()


def list_users(db: Session, *, city_id: int) -> list[User]:
    """The users of a city."""
    return list(db.scalars(select(User).where(User.city_id == city_id).order_by(User.username)))


def authenticate(db: Session, *, username: str, password: str) -> User | None:
    """The active user whose password this is, else None."""
    user = get_by_username(db, username=username)
    if user is None or user.password_hash is None:
        _verify(_hashing.dummy_hash(), password)
        return None
    if not _verify(user.password_hash, password) or not user.is_active:
        return None
    if _hashing.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hashing.hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create(db: Session, *, scope: Scope | None, city: City, data: UserCreate) -> User:
    """Create a user in ``city``; ``scope`` is the admin doing it (None for seeding)."""
    if scope is not None:
        scope.require(Role.admin)
    if get_by_username(db, username=data.username) is not None:
        raise Conflict(f"username {data.username!r} is taken")
    company_id = _company_for(db, city=city, role=data.role, slug=data.company_slug)
    user = User(
        username=data.username,
        full_name=data.full_name,
        password_hash=hash_password(data.password),
        role=data.role,
        city_id=city.id,
        company_id=company_id,
        locale=data.locale,
    )
    db.add(user)
    db.flush()
    if scope is not None:
        audit.record(
            db,
            actor=scope.actor,
            action="user.create",
            entity_type="user",
            entity_id=user.id,
            city_id=city.id,
            after={"username": user.username, "role": user.role, "company_id": company_id},
        )
    return user


def _company_for(db: Session, *, city: City, role: Role, slug: str | None) -> int | None:
    if role is not Role.company_rep:
        if slug is not None:
            raise InvalidInput(
                "only company representatives belong to a company",
                problems=[Problem("company_slug", "must be empty for this role")],
            )
        return None
    if slug is None:
        raise InvalidInput(
            "a company representative needs a company",
            problems=[Problem("company_slug", "required for role company_rep")],
        )
    company = db.scalars(
        select(Company).where(Company.city_id == city.id, Company.slug == slug)
    ).first()
    if company is None:
        raise InvalidInput(
            f"no company {slug!r}", problems=[Problem("company_slug", "unknown company")]
        )
    return company.id


def scope_for(user: User, *, default_city_id: int) -> Scope:
    """The scope a signed-in user acts in."""
    return Scope(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        city_id=user.city_id if user.city_id is not None else default_city_id,
        company_id=user.company_id if user.role == Role.company_rep else None,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Session, *, scope: Scope, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for ``user``; returns it with its secret, which is never stored."""
    if scope.user_id != user.id:
        scope.require(Role.admin)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(secret), prefix=secret[:10])
    db.add(token)
    db.flush()
    audit.record(
        db,
        actor=scope.actor,
        action="api_token.create",
        entity_type="api_token",
        entity_id=token.id,
        city_id=scope.city_id,
        after={"user_id": user.id, "name": name, "prefix": token.prefix},
    )
    return token, secret


def list_tokens(db: Session, *, user_id: int) -> list[ApiToken]:
    """A user's API tokens, newest first."""
    stmt = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    return list(db.scalars(stmt))


def revoke_token(db: Session, *, scope: Scope, token_id: int) -> ApiToken:
    """Revoke an API token of the caller (or any, for an admin)."""
    token = db.get(ApiToken, token_id)
    if token is None or (token.user_id != scope.user_id and scope.role is not Role.admin):
        raise NotFound("no such token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            db,
            actor=scope.actor,
            action="api_token.revoke",
            entity_type="api_token",
            entity_id=token.id,
            city_id=scope.city_id,
        )
    return token


def find_token(db: Session, *, token: str) -> tuple[ApiToken, User] | None:
    """An unrevoked API token and its active user, else None; changes nothing."""
    row = db.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def touch_due(token: ApiToken) -> bool:
    """Whether the token's ``last_used_at`` is worth writing again (at most once a minute).

    A busy machine client must not turn every read into a write.
    """
    last = token.last_used_at
    return last is None or (utcnow() - last).total_seconds() > 60


def touch_token(db: Session, *, token_id: int) -> None:
    """Record that a token was used now."""
    token = db.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = utcnow()


def user_for_token(db: Session, *, token: str) -> User | None:
    """The active user an unrevoked API token belongs to (recording its use), else None."""
    found = find_token(db, token=token)
    if found is None:
        return None
    row, user = found
    if touch_due(row):
        touch_token(db, token_id=row.id)
    return user
