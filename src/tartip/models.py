"""Every table, imported in one place so metadata is complete (Alembic, tests of migrations)."""

import tartip.complaints.models  # noqa: F401 - each domain's tables, imported for the metadata
import tartip.damage.models  # noqa: F401
import tartip.notify.models  # noqa: F401
import tartip.portal.models  # noqa: F401
import tartip.public.models  # noqa: F401
import tartip.reports.models  # noqa: F401
import tartip.reports.sustainability_models  # noqa: F401
import tartip.safety.models  # noqa: F401
import tartip.trips.models  # noqa: F401
import tartip.trips.statistics_models  # noqa: F401
from tartip.audit.models import AuditEntry
from tartip.auth.models import ApiToken, User
from tartip.cities.models import City, Company
from tartip.compliance.models import ComplianceThreshold, DutyZoneLoad, Violation
from tartip.db.base import Base
from tartip.events.models import CityEvent, CityEventZone
from tartip.feeds.models import CompanyGeofence, Feed, FeedPull, FeedPullSlot
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
    "FeedPullSlot",
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
