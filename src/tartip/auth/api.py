"""The API of users and API tokens."""

from __future__ import annotations

from fastapi import APIRouter

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.schemas import TokenCreate, TokenCreated, TokenRead, UserCreate, UserRead
from tartip.cities import service as cities_service
from tartip.core.errors import NotFound
from tartip.deps import CurrentScope, CurrentUser, DbSession

router = APIRouter(tags=["auth"])


@router.get("/me", response_model=UserRead)
def read_me(user: CurrentUser) -> UserRead:
    """The caller."""
    return UserRead.model_validate(user)


@router.get("/users", response_model=list[UserRead])
def list_users(db: DbSession, scope: CurrentScope) -> list[UserRead]:
    """The users of the caller's city (admins only)."""
    scope.require(Role.admin)
    return [UserRead.model_validate(u) for u in auth_service.list_users(db, city_id=scope.city_id)]


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(db: DbSession, scope: CurrentScope, data: UserCreate) -> UserRead:
    """Create a user in the caller's city (admins only)."""
    city = cities_service.get(db, city_id=scope.city_id)
    if city is None:
        raise NotFound("no such city")
    return UserRead.model_validate(auth_service.create(db, scope=scope, city=city, data=data))


@router.get("/me/tokens", response_model=list[TokenRead])
def list_my_tokens(db: DbSession, user: CurrentUser) -> list[TokenRead]:
    """The caller's API tokens (secrets are never shown again)."""
    return [TokenRead.model_validate(t) for t in auth_service.list_tokens(db, user_id=user.id)]


@router.post("/me/tokens", response_model=TokenCreated, status_code=201)
def create_my_token(
    db: DbSession, scope: CurrentScope, user: CurrentUser, data: TokenCreate
) -> TokenCreated:
    """A new API token for the caller; its secret is in this answer only."""
    token, secret = auth_service.create_token(db, scope=scope, user=user, name=data.name)
    return TokenCreated(**TokenRead.model_validate(token).model_dump(), token=secret)


@router.delete("/me/tokens/{token_id}", response_model=TokenRead)
def revoke_my_token(db: DbSession, scope: CurrentScope, token_id: int) -> TokenRead:
    """Revoke one of the caller's API tokens."""
    return TokenRead.model_validate(auth_service.revoke_token(db, scope=scope, token_id=token_id))
