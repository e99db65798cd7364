"""Roles of people and machines."""

from enum import StrEnum


class Role(StrEnum):
    """What a user is; permissions follow from it."""

    admin = "admin"
    supervisor = "supervisor"
    scout = "scout"
    technician = "technician"
    company_rep = "company_rep"
    city_viewer = "city_viewer"


# Roles that work for the unified operator and so see every company's data in their city.
OPERATOR_ROLES = frozenset({Role.admin, Role.supervisor, Role.scout, Role.technician})
