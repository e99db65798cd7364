"""The month's road-safety incidents (Vision Zero): falls, collisions and near misses, from
staff, the police and the companies, of varied severity.
"""

from __future__ import annotations

from datetime import timedelta

from tartip.auth import service as auth_service
from tartip.cities.models import Company
from tartip.demo import DEMO_USERS
from tartip.demo_history.context import HISTORY_BY, History, pick, vehicle_code
from tartip.safety.enums import IncidentKind, IncidentSource, Severity
from tartip.safety.models import Incident

INCIDENT_KINDS = (IncidentKind.fall, IncidentKind.collision, IncidentKind.near_miss)
INCIDENT_KIND_SHARES = (0.5, 0.35, 0.15)
SEVERITIES = (Severity.none, Severity.minor, Severity.serious, Severity.fatal)
INCIDENT_TEXT = {
    IncidentKind.fall: "Падение самокатчика на неровном покрытии, самокат повреждён.",
    IncidentKind.collision: "Столкновение самоката с пешеходом на тротуаре.",
    IncidentKind.near_miss: "Самокат едва не сбил пешехода на переходе.",
}
INCIDENT_SOURCES = (IncidentSource.staff, IncidentSource.police, IncidentSource.company)
INCIDENT_SOURCE_SHARES = (0.4, 0.35, 0.25)
INJURED = {Severity.none: 0, Severity.minor: 1}  # serious and fatal: one or two people
REPORTERS = {IncidentSource.police: "police", IncidentSource.staff: "supervisor"}


def write_incidents(h: History) -> int:
    """About twenty incidents: falls, collisions and near misses, from staff, the police and
    the companies, of varied severity."""
    db, rng = h.db, h.rng
    reps = {u.company_slug: u.username for u in DEMO_USERS if u.company_slug}
    many = rng.randrange(16, 29)
    for n in range(many):
        kind = INCIDENT_KINDS[pick(rng, INCIDENT_KIND_SHARES)]
        shares = (1.0, 0, 0, 0) if kind is IncidentKind.near_miss else (0.2, 0.62, 0.16, 0.02)
        severity = SEVERITIES[pick(rng, shares)]
        source = INCIDENT_SOURCES[pick(rng, INCIDENT_SOURCE_SHARES)]
        company: Company | None = h.company()
        if source is IncidentSource.police and rng.random() < 0.3:
            company = None  # the police report did not say whose vehicle it was
        if source is IncidentSource.company and company is not None:
            name = reps.get(company.slug, "")
        else:
            name = REPORTERS.get(source, "")
        reporter = auth_service.get_by_username(db, username=name)
        when = h.moment()
        told = min(when + timedelta(hours=rng.uniform(0.5, 30)), h.now)
        lon, lat = h.spot()
        code = vehicle_code(h, company) if company is not None else None
        db.add(
            Incident(
                city_id=h.city.id, kind=kind, severity=severity, source=source, occurred_at=when,
                lon=lon, lat=lat, company_id=company.id if company else None, vehicle_code=code,
                injured=INJURED.get(severity, 1 + n % 2), description=INCIDENT_TEXT[kind],
                external_ref=f"DP-{when:%y%m%d}-{n:03d}" if reporter and name == "police"
                else None,
                reported_by_user_id=reporter.id if reporter else None,
                reported_by=reporter.username if reporter else HISTORY_BY,
                created_at=told, updated_at=told,
            )
        )  # fmt: skip
    db.flush()
    return many
