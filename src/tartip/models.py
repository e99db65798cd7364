"""Every table, imported in one place so metadata is complete (Alembic, tests of migrations)."""

from tartip.audit.models import AuditEntry
from tartip.auth.models import ApiToken, User
from tartip.cities.models import City, Company
from tartip.compliance.models import ComplianceThreshold, DutyZoneLoad, Violation
from tartip.db.base import Base
from tartip.events.models import CityEvent, CityEventZone
from tartip.feeds.models import CompanyGeofence, Feed, FeedPull
from tartip.fleet.models import Station, Vehicle, VehicleChange, VehicleType
from tartip.ops.models import (
    DamageReport,
    Shift,
    StaffProfile,
    SyncAction,
    Task,
    TaskAssignment,
    Team,
    WorkLog,
    WorkLogCount,
    WorkPhoto,
)
from tartip.zones.models import Zone, ZoneVersion

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "City",
    "CityEvent",
    "CityEventZone",
    "Company",
    "CompanyGeofence",
    "ComplianceThreshold",
    "DutyZoneLoad",
    "Feed",
    "FeedPull",
    "Station",
    "User",
    "Vehicle",
    "VehicleChange",
    "VehicleType",
    "Violation",
    "Zone",
    "ZoneVersion",
    "DamageReport",
    "Shift",
    "StaffProfile",
    "SyncAction",
    "Task",
    "TaskAssignment",
    "Team",
    "WorkLog",
    "WorkLogCount",
    "WorkPhoto",
]
