"""Incidents as the API and the pages show them."""

from __future__ import annotations

from tartip.safety.hotspots import Suggestion
from tartip.safety.models import Incident
from tartip.safety.schemas import IncidentRead, MonthCountRead, SuggestionRead
from tartip.safety.service import MonthCount


def incident_read(incident: Incident, *, companies: dict[int, str]) -> IncidentRead:
    """An incident for the API; ``companies`` are the slugs the caller may see."""
    return IncidentRead(
        id=incident.id,
        kind=incident.kind,
        severity=incident.severity,
        source=incident.source,
        occurred_at=incident.occurred_at,
        lon=incident.lon,
        lat=incident.lat,
        company=companies.get(incident.company_id) if incident.company_id else None,
        vehicle_code=incident.vehicle_code,
        injured=incident.injured,
        description=incident.description,
        external_ref=incident.external_ref,
        reported_by=incident.reported_by,
        created_at=incident.created_at,
    )


def month_count_read(count: MonthCount) -> MonthCountRead:
    """A month's counts for the API."""
    return MonthCountRead(
        month=count.month,
        total=count.total,
        by_kind=dict(count.by_kind),
        by_severity=dict(count.by_severity),
        injured=count.injured,
    )


def suggestion_read(suggestion: Suggestion) -> SuggestionRead:
    """A suggestion for the API."""
    lon, lat = suggestion.centre
    return SuggestionRead(
        action=suggestion.action.value,
        lon=lon,
        lat=lat,
        cell=list(suggestion.bounds),
        incidents=suggestion.incidents,
        injuries=suggestion.injuries,
        clutter=suggestion.clutter,
        reason=suggestion.reason(),
    )
