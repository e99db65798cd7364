"""What a caller may see: their city, and for a company representative, their company only."""

from __future__ import annotations

from dataclasses import dataclass

from tartip.audit.service import Actor
from tartip.auth.enums import OPERATOR_ROLES, Role
from tartip.core.errors import Forbidden


@dataclass(frozen=True)
class Scope:
    """The caller of a use case: who, in which city, limited to which company (if any)."""

    user_id: int | None
    username: str
    role: Role
    city_id: int
    # Set for company representatives: every query is limited to this company's rows.
    company_id: int | None = None

    @property
    def actor(self) -> Actor:
        """The caller as written to the audit trail."""
        return Actor(user_id=self.user_id, label=self.username)

    @property
    def is_operator_staff(self) -> bool:
        """Whether the caller works for the unified operator (sees every company)."""
        return self.role in OPERATOR_ROLES

    @property
    def watches_operations(self) -> bool:
        """Whether the caller reads the operator's live picture: its staff, and the city's
        officials who appointed it (decision 0083: the duty-zone board, coverage, live board)."""
        return self.is_operator_staff or self.role is Role.city_viewer

    def require(self, *roles: Role) -> None:
        """Raise ``Forbidden`` unless the caller has one of ``roles`` (admins always pass)."""
        if self.role is not Role.admin and self.role not in roles:
            raise Forbidden(f"role {self.role.value!r} may not do this")

    def visible_company_ids(self, company_ids: list[int] | None) -> list[int] | None:
        """The companies a query may cover: the caller's own, or the requested ones, or all."""
        if self.company_id is not None:
            if company_ids and self.company_id not in company_ids:
                return []
            return [self.company_id]
        return company_ids or None
