"""The month's damaged vehicles: cases found by scouts, the feed and staff, each handed over to
its company, which acknowledges and collects it in its crews' hours (some late, a few withdrawn,
a few still waiting and escalated).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from tartip.auth.models import User
from tartip.cities.models import Company
from tartip.damage import intake
from tartip.damage import service as damage_service
from tartip.damage.enums import CollectedVia, DamageKind, DamageSource, EventKind, HandoverStatus
from tartip.damage.models import CaseReport, DamageCase, Handover, HandoverEvent
from tartip.demo_history.context import HISTORY_BY, History, insert_rows, pick, vehicle_code

DAMAGE_CASES = 250
DAMAGE_SOURCES = (DamageSource.scout, DamageSource.feed, DamageSource.staff)
DAMAGE_SOURCE_SHARES = (0.78, 0.16, 0.06)
DAMAGE_KINDS = (DamageKind.broken, DamageKind.vandalised, DamageKind.missing_parts,
                DamageKind.in_water, DamageKind.other)  # fmt: skip
DAMAGE_KIND_SHARES = (0.5, 0.22, 0.16, 0.04, 0.08)
VIA = (CollectedVia.portal, CollectedVia.api, CollectedVia.feed, CollectedVia.mds)
VIA_SHARES = (0.4, 0.25, 0.25, 0.1)
_Step = tuple[EventKind, datetime, str]  # a handover's step: what, when, who


def write_damage(h: History, scouts: list[User]) -> int:
    """About 250 damaged vehicles found and handed over; most collected within the company's
    agreed hours (some late), a few withdrawn, a few still waiting (escalated)."""
    db, rng = h.db, h.rng
    taken_keys = set(db.scalars(select(DamageCase.key).where(DamageCase.city_id == h.city.id)))
    within = {c.id: damage_service.collect_within(db, company_id=c.id) for c in h.companies}
    found: list[tuple[DamageCase, Handover, list[_Step], DamageSource, User | None]] = []
    for _ in range(DAMAGE_CASES + rng.randrange(-15, 16)):
        company = h.company()
        code = vehicle_code(h, company)
        key = intake.case_key(company.id, code)
        if key in taken_keys:
            continue
        taken_keys.add(key)
        source = DAMAGE_SOURCES[pick(rng, DAMAGE_SOURCE_SHARES)]
        kind = (
            DamageKind.disabled_long
            if source is DamageSource.feed
            else DAMAGE_KINDS[pick(rng, DAMAGE_KIND_SHARES)]
        )
        at = h.moment()
        lon, lat = h.spot()
        case = DamageCase(
            city_id=h.city.id, company_id=company.id, vehicle_code=code, key=key,
            kinds=[kind.value], lon=lon, lat=lat, first_reported_at=at, last_reported_at=at,
            report_count=1, created_at=at,
        )  # fmt: skip
        handover, steps = _hand_over(h, case, company, within[company.id])
        reporter = scouts[rng.randrange(len(scouts))] if source is DamageSource.scout else None
        found.append((case, handover, steps, source, reporter))
    db.add_all([case for case, *_rest in found])
    db.flush()
    for case, handover, *_rest in found:
        handover.case_id, handover.reference = case.id, damage_service.reference_for(case.id)
    db.add_all([handover for _case, handover, *_rest in found])
    db.flush()
    insert_rows(
        db, CaseReport, [_case_report(h, c, source, who) for c, _h, _s, source, who in found]
    )
    events = [
        {"city_id": h.city.id, "handover_id": handover.id, "kind": kind.value, "at": at,
         "actor": actor, "note": "", "dispatched_at": at}
        for _case, handover, steps, *_rest in found
        for kind, at, actor in steps
    ]  # fmt: skip
    insert_rows(db, HandoverEvent, events)
    return len(found)


def _case_report(
    h: History, case: DamageCase, source: DamageSource, reporter: User | None
) -> dict[str, Any]:
    by = reporter.full_name if reporter else ("Tartip" if source is DamageSource.feed else "")
    return {
        "city_id": h.city.id, "case_id": case.id, "source": source.value,
        "source_key": f"{HISTORY_BY}:{case.key}", "ops_damage_report_id": None,
        "complaint_id": None, "code": case.vehicle_code, "kinds": case.kinds,
        "description": "", "lon": case.lon, "lat": case.lat,
        "reported_at": case.first_reported_at, "reported_by": by or HISTORY_BY,
        "user_id": reporter.id if reporter else None,
    }  # fmt: skip


def _hand_over(
    h: History, case: DamageCase, company: Company, within: timedelta
) -> tuple[Handover, list[_Step]]:
    """The case's handover and its steps (kept as already dispatched: no webhook goes out for
    them); the case is closed once the vehicle is off the street."""
    rng = h.rng
    handed = case.first_reported_at + timedelta(minutes=rng.uniform(0.5, 5))
    handover = Handover(
        city_id=h.city.id, company_id=company.id, status=HandoverStatus.handed_over,
        handed_over_at=handed, handed_over_by=HISTORY_BY, due_at=handed + within,
        updated_at=handed,
    )  # fmt: skip
    steps: list[_Step] = [(EventKind.handed_over, handed, HISTORY_BY)]
    fate = rng.random()
    withdrawn = handed + timedelta(hours=rng.uniform(0.5, 3))
    if fate < 0.04 and withdrawn < h.now:
        handover.status, handover.updated_at = HandoverStatus.cancelled, withdrawn
        handover.cancelled_at, handover.cancelled_by = withdrawn, HISTORY_BY
        handover.resolution = "Ошибочное сообщение: самокат исправен."
        steps.append((EventKind.cancelled, withdrawn, HISTORY_BY))
    else:
        steps += _collection(h, handover, company, late=fate > 0.85, waiting=fate > 0.96)
    off = handover.collected_at or handover.resolved_at or handover.cancelled_at
    case.closed_at, case.open_key = off, None if off is not None else case.key
    return handover, steps


def _collection(
    h: History, handover: Handover, company: Company, *, late: bool, waiting: bool
) -> list[_Step]:
    """The company's steps: acknowledged, collected (in its crews' hours), maybe resolved."""
    rng = h.rng
    agreed = (handover.due_at - handover.handed_over_at).total_seconds() / 3600
    steps: list[_Step] = []
    acknowledged = handover.handed_over_at + timedelta(minutes=rng.uniform(3, 50))
    if acknowledged < h.now:
        handover.status = HandoverStatus.acknowledged
        handover.acknowledged_at, handover.acknowledged_by = acknowledged, company.name
        steps.append((EventKind.acknowledged, acknowledged, company.name))
    took = agreed * (rng.uniform(1.05, 2.2) if late else rng.betavariate(2.2, 2.5))
    collected = handover.handed_over_at + timedelta(hours=took)
    local = collected.astimezone(h.tz)
    if local.hour < 7:  # crews go out in the morning
        collected += timedelta(hours=7 - local.hour + rng.uniform(0, 1.5))
    if waiting or collected >= h.now:
        if handover.due_at < h.now:
            handover.escalated_at = handover.due_at + timedelta(minutes=1)
            steps.append((EventKind.escalated, handover.escalated_at, "Tartip"))
        return steps
    via = VIA[pick(rng, VIA_SHARES)]
    handover.status, handover.collected_at = HandoverStatus.collected, collected
    handover.collected_by, handover.collected_via = company.name, via.value
    handover.updated_at = collected
    steps.append((EventKind.collected, collected, company.name))
    resolved = collected + timedelta(hours=rng.uniform(12, 96))
    if rng.random() < 0.4 and resolved < h.now:
        handover.status, handover.resolved_at = HandoverStatus.resolved, resolved
        handover.resolved_by, handover.resolution = company.name, "Отремонтирован."
        handover.updated_at = resolved
        steps.append((EventKind.resolved, resolved, company.name))
    return steps
