"""Every table, imported in one place so metadata is complete (Alembic, tests of migrations)."""

from tartip.audit.models import AuditEntry
from tartip.auth.models import ApiToken, User
from tartip.cities.models import City, Company
from tartip.db.base import Base
from tartip.feeds.models import CompanyGeofence, Feed, FeedPull
from tartip.fleet.models import Station, Vehicle, VehicleChange, VehicleType

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "City",
    "Company",
    "CompanyGeofence",
    "Feed",
    "FeedPull",
    "Station",
    "User",
    "Vehicle",
    "VehicleChange",
    "VehicleType",
]
