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
    # Outside bodies that file complaints through the API (docs/decisions/0050): the city's
    # appeals system (akimat, its mobility department) and the police. They see what they filed.
    government = "government"
    police = "police"


# Roles that work for the unified operator and so see every company's data in their city.
OPERATOR_ROLES = frozenset({Role.admin, Role.supervisor, Role.scout, Role.technician})
# Roles of outside bodies: they may use the complaints API and nothing else.
INTAKE_ROLES = frozenset({Role.government, Role.police})
