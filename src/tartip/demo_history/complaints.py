"""The month's complaints: filed by citizens, the akimat, the police, companies and staff,
matched and routed to companies, then resolved by a scout's task or a company's answer (a few
rejected, re-opened or still open), as the complaint service's own steps record them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import shapely

from tartip.audit.service import Actor
from tartip.auth import service as auth_service
from tartip.cities.models import Company
from tartip.complaints import due, due_times, matching, messages, reference
from tartip.complaints import service as complaints_service
from tartip.complaints.config import ComplaintConfig
from tartip.complaints.enums import (
    PLACE_FIXABLE,
    ComplaintAction,
    ComplaintCategory,
    ComplaintSource,
    ComplaintStatus,
    MatchOrigin,
    MatchState,
)
from tartip.complaints.models import (
    Complaint,
    ComplaintComment,
    ComplaintCompany,
    ComplaintTransition,
    ComplaintVehicle,
)
from tartip.demo import DEMO_USERS
from tartip.demo_history.context import HISTORY_BY, History, pick, vehicle_code
from tartip.demo_history.staff import Duty
from tartip.ops.enums import TaskKind, TaskOrigin, TaskState
from tartip.ops.models import Task, WorkLog, WorkLogCount
from tartip.zones import service as zones_service
from tartip.zones.enums import ZoneKind
from tartip.zones.rules import ZoneRule

COMPLAINTS = {
    ComplaintSource.citizen: 34, ComplaintSource.government: 13, ComplaintSource.police: 8,
    ComplaintSource.company: 2, ComplaintSource.staff: 3,
}  # fmt: skip
CAT = ComplaintCategory
CATEGORIES: dict[ComplaintSource, dict[ComplaintCategory, float]] = {
    ComplaintSource.citizen: {CAT.badly_parked: 0.38, CAT.blocking_passage: 0.24,
                              CAT.damaged_vehicle: 0.08, CAT.dangerous_riding: 0.12,
                              CAT.minors_riding: 0.08, CAT.two_riders: 0.06, CAT.other: 0.04},
    ComplaintSource.government: {CAT.badly_parked: 0.45, CAT.blocking_passage: 0.35,
                                 CAT.damaged_vehicle: 0.05, CAT.dangerous_riding: 0.1,
                                 CAT.other: 0.05},
    ComplaintSource.police: {CAT.dangerous_riding: 0.35, CAT.minors_riding: 0.25,
                             CAT.two_riders: 0.2, CAT.blocking_passage: 0.2},
    ComplaintSource.company: {CAT.badly_parked: 0.5, CAT.damaged_vehicle: 0.5},
    ComplaintSource.staff: {CAT.badly_parked: 0.5, CAT.blocking_passage: 0.5},
}  # fmt: skip
DESCRIPTIONS = {
    CAT.badly_parked: "Самокаты брошены посреди тротуара у входа.",
    CAT.blocking_passage: "Несколько самокатов перегородили проход, не пройти с коляской.",
    CAT.damaged_vehicle: "Сломанный самокат лежит у дороги уже несколько дней.",
    CAT.dangerous_riding: "Самокатчик едет по тротуару на большой скорости между людьми.",
    CAT.minors_riding: "Дети лет двенадцати катаются на арендном самокате.",
    CAT.two_riders: "Двое на одном самокате, без шлемов, по проезжей части.",
    CAT.other: "Самокат стоит на газоне в сквере.",
}
COMPANY_ANSWER = (
    "Поездка найдена, пользователю вынесено предупреждение, аккаунт заблокирован на 7 дней."
)
STAFF_ANSWER = "Компания {company} сообщила: {answer}"
REOPEN_NOTE = "Самокаты снова стоят на том же месте."
COMPLAINT_VEHICLES = 2  # put in order per company by a complaint's task
# Who files what, as the demo's accounts (``demo.DEMO_USERS``).
FILERS = {ComplaintSource.government: "akimat", ComplaintSource.police: "police",
          ComplaintSource.staff: "supervisor", ComplaintSource.company: "jet"}  # fmt: skip


@dataclass
class _Filed:
    """A complaint of the month before it is written, and what becomes of it."""

    source: ComplaintSource
    category: ComplaintCategory
    received: datetime
    fate: str = "resolved"  # resolved, reopened, rejected, open, waiting


def _complaint_plan(h: History) -> list[_Filed]:
    rng = h.rng
    plan = []
    for source, base in COMPLAINTS.items():
        shares = CATEGORIES[source]
        cats = list(shares)
        p = [shares[c] for c in cats]
        for _ in range(max(1, base + rng.randrange(-2, 3))):
            category = cats[pick(rng, p)]
            plan.append(_Filed(source, category, h.moment()))
    plan.sort(key=lambda f: f.received)
    riding = [f for f in plan if f.category not in PLACE_FIXABLE]
    fixable = [f for f in plan if f.category in PLACE_FIXABLE]
    if len(fixable) > 4:
        fixable[len(fixable) // 3].fate = "reopened"
        fixable[len(fixable) // 2].fate = "rejected"
        fixable[-1].fate = "open"
    for f in riding[-2:]:
        f.fate = "waiting"
    if riding:
        riding[0].fate = "rejected"
    return plan


def write_complaints(h: History, duties: list[Duty]) -> int:
    """About sixty complaints: most resolved (by a scout's task or the company's answer), some
    rejected, a few still open, one re-opened; matched and routed to the companies."""
    db, city = h.db, h.city
    rule_of = due_times.overrides(db, city_id=city.id)
    hours = due.ServiceHours.parse(
        ComplaintConfig.service_start, ComplaintConfig.service_end, city.timezone
    )
    users = {u.username: auth_service.get_by_username(db, username=u.username) for u in DEMO_USERS}
    rules = zones_service.in_force(db, city_id=city.id, at=h.period.start)
    plan = _complaint_plan(h)
    references = _references(h, [f.received for f in plan])
    made = []
    for n, (filed, ref) in enumerate(zip(plan, references, strict=True)):
        lon, lat = h.spot()
        user = users.get(FILERS.get(filed.source, ""))
        actor = Actor(user.id, user.username) if user else complaints_service.PUBLIC
        official = user is not None and filed.source in (
            ComplaintSource.government,
            ComplaintSource.police,
        )
        complaint = Complaint(
            city_id=city.id, reference=ref, source=filed.source, category=filed.category,
            status=ComplaintStatus.received, lon=lon, lat=lat,
            occurred_at=filed.received - timedelta(minutes=h.rng.uniform(5, 60)),
            received_at=filed.received, description=DESCRIPTIONS[filed.category],
            locale="kk" if h.rng.random() < 0.15 else "ru",
            due_at=due.due_at(
                filed.received, due.pick_rule(filed.category, filed.source, rule_of), hours
            ),
            zone_id=_zone_at(rules, lon, lat, filed.received), filed_by_user_id=actor.user_id,
            filed_by=actor.label, updated_at=filed.received, created_at=filed.received,
            external_ref=f"{filed.source.value[:3].upper()}-{filed.received:%y%m}-{n:04d}"
            if official else None,
        )  # fmt: skip
        made.append((complaint, actor))
    db.add_all([c for c, _a in made])
    db.flush()
    tasks: list[tuple[Complaint, Task, list[Company]]] = []
    for (complaint, actor), filed in zip(made, plan, strict=True):
        db.add(
            ComplaintTransition(
                city_id=city.id, complaint_id=complaint.id, action=None, from_status=None,
                to_status=ComplaintStatus.received, at=filed.received, by=actor.label,
                by_user_id=actor.user_id,
            )
        )  # fmt: skip
        companies = _matched(h, complaint)
        task = _settle(h, complaint, filed, companies, duties, rules)
        if task is not None:
            tasks.append((complaint, task, companies))
    _complaint_work(h, tasks)
    return len(plan)


def _references(h: History, received: list[datetime]) -> list[str]:
    """Reference numbers as people are given them: the day's next, in order of receipt."""
    city, numbers = h.city, dict[str, int]()
    out = []
    for at in received:
        prefix = reference.day_prefix(city.slug, at, city.timezone)
        if prefix not in numbers:
            first = reference.next_reference(
                h.db, city_slug=city.slug, at=at, timezone=city.timezone
            )
            numbers[prefix] = int(first[len(prefix) :]) - 1
        numbers[prefix] += 1
        out.append(f"{prefix}{numbers[prefix]:04d}")
    return out


def _zone_at(
    rules: list[ZoneRule], lon: float, lat: float, at: datetime, *, duty: bool = False
) -> int | None:
    """The zone a complaint is about, chosen as ``complaints.matching.zone_at`` chooses it (or
    the duty zone its task belongs to); the month's rules are read once, as
    ``zones.service.in_force`` allows."""
    found = [
        r for r in rules
        if r.is_active(at) and (not duty or r.kind is ZoneKind.duty)
        and shapely.intersects_xy(r.geometry, lon, lat)
    ]  # fmt: skip
    found.sort(key=lambda r: (matching.ZONE_ORDER.index(r.kind), r.zone_id))
    return found[0].zone_id if found else None


def _matched(h: History, complaint: Complaint) -> list[Company]:
    """The companies whose vehicles stood there, each routed a few minutes after receipt."""
    rng = h.rng
    first = h.company()
    companies = [first]
    if rng.random() < 0.2:
        companies += [c for c in h.companies if c.id != first.id][:1]
    routed = complaint.received_at + timedelta(minutes=rng.uniform(0.2, 3))
    for company in companies:
        h.db.add(
            ComplaintCompany(
                city_id=h.city.id, complaint_id=complaint.id, company_id=company.id,
                origin=MatchOrigin.history, state=MatchState.confirmed, decided_by=HISTORY_BY,
                routed_at=routed, routed_by=HISTORY_BY,
            )
        )  # fmt: skip
        for _ in range(1 + rng.randrange(0, 2)):
            h.db.add(
                ComplaintVehicle(
                    city_id=h.city.id, complaint_id=complaint.id, company_id=company.id,
                    vehicle_id=vehicle_code(h, company), lon=complaint.lon, lat=complaint.lat,
                    distance_m=round(rng.uniform(3, 40), 1),
                    seen_at=complaint.occurred_at, origin=MatchOrigin.history,
                    state=MatchState.confirmed, decided_by=HISTORY_BY, decided_at=routed,
                )
            )  # fmt: skip
    return companies


def _step(
    h: History, complaint: Complaint, action: ComplaintAction, at: datetime, text: str = ""
) -> None:
    complaints_service.step(
        h.db, complaint=complaint, action=action, actor=Actor(None, HISTORY_BY), text=text, at=at
    )


def _settle(
    h: History, complaint: Complaint, filed: _Filed, companies: list[Company],
    duties: list[Duty], rules: list[ZoneRule],
) -> Task | None:  # fmt: skip
    """What became of a complaint, by its fate: a scout's task (returned, to be written), or
    the company's answer."""
    rng = h.rng
    taken = complaint.received_at + timedelta(minutes=rng.uniform(2, 90))
    if filed.fate == "open" or taken >= h.now:
        return None
    _step(h, complaint, ComplaintAction.take, taken)
    if filed.fate == "rejected":
        reason = "Повторное обращение: это место уже убрано по предыдущему обращению."
        _step(h, complaint, ComplaintAction.reject, taken + timedelta(minutes=20), reason)
        return None
    task = None
    if filed.category in PLACE_FIXABLE:
        task = _complaint_task(h, complaint, companies, taken, duties, rules)
        if task is None or task.closed_at is None:
            return None
        answer = messages.task_answer(
            complaint.locale, finished_at=task.closed_at, timezone=h.city.timezone,
            count=COMPLAINT_VEHICLES * len(companies), notes="",
        )  # fmt: skip
        closed = task.closed_at + timedelta(seconds=30)
    else:
        company = companies[0]
        replied = taken + timedelta(hours=rng.uniform(6, 60))
        if filed.fate == "waiting" or replied >= h.now:
            return None
        h.db.add(
            ComplaintComment(
                city_id=h.city.id, complaint_id=complaint.id, company_id=company.id,
                by_company=True, author=company.name, body=COMPANY_ANSWER, at=replied,
            )
        )  # fmt: skip
        answer = STAFF_ANSWER.format(company=company.name, answer=COMPANY_ANSWER)
        closed = replied + timedelta(hours=rng.uniform(0.5, 6))
    if closed < h.now:
        _step(h, complaint, ComplaintAction.resolve, closed, answer)
        again = closed + timedelta(hours=20)
        if filed.fate == "reopened" and again + timedelta(hours=4) < h.now:
            _step(h, complaint, ComplaintAction.reopen, again, REOPEN_NOTE)
            _step(h, complaint, ComplaintAction.resolve, again + timedelta(hours=3.5), answer)
    return task


def _complaint_task(
    h: History, complaint: Complaint, companies: list[Company], taken: datetime,
    duties: list[Duty], rules: list[ZoneRule],
) -> Task | None:  # fmt: skip
    """The scout's task a place-fixable complaint became, done (None: not done by now)."""
    rng = h.rng
    on_duty = [
        d for d in duties
        if d.checked_in_at is not None and d.checked_in_at <= taken < d.ends_at
        and d.slot in ("day", "evening", "night")
    ]  # fmt: skip
    scout = rng.choice(on_duty).user_id if on_duty else None
    if not on_duty:  # received at night: the morning shift goes first thing
        taken = h.at(taken.astimezone(h.tz).date() + timedelta(days=1), 8.25)
    took = timedelta(minutes=rng.lognormvariate(math.log(50), 0.5))
    finished = (taken + took).replace(microsecond=0)
    if finished >= h.now:
        return None
    kind = (
        TaskKind.inspect_vehicle
        if complaint.category == ComplaintCategory.damaged_vehicle
        else TaskKind.move_to_parking
    )
    return Task(
        city_id=h.city.id, kind=kind, origin=TaskOrigin.complaint, state=TaskState.done,
        title=f"Complaint {complaint.reference}", priority=4, lon=complaint.lon,
        lat=complaint.lat, zone_id=_zone_at(rules, complaint.lon, complaint.lat, taken, duty=True),
        deadline=complaint.due_at, source_ref=complaint.reference,
        company_ids=[c.id for c in companies], scout_id=scout, created_by=HISTORY_BY,
        created_at=taken, updated_at=finished, assigned_at=taken,
        accepted_at=taken + timedelta(minutes=1), started_at=finished - timedelta(minutes=10),
        closed_at=finished,
    )  # fmt: skip


def _complaint_work(h: History, tasks: list[tuple[Complaint, Task, list[Company]]]) -> None:
    """Write the complaints' tasks and their proof of work."""
    db = h.db
    db.add_all([task for _c, task, _cs in tasks])
    db.flush()
    logs = []
    for complaint, task, companies in tasks:
        complaint.task_id = task.id
        assert task.closed_at is not None
        logs.append(
            WorkLog(
                city_id=h.city.id, task_id=task.id, scout_id=task.scout_id, zone_id=task.zone_id,
                finished_at=task.closed_at, recorded_at=task.closed_at,
                total=COMPLAINT_VEHICLES * len(companies),
            )
        )  # fmt: skip
    db.add_all(logs)
    db.flush()
    db.add_all(
        [
            WorkLogCount(
                city_id=h.city.id, work_log_id=log.id, company_id=c.id, count=COMPLAINT_VEHICLES
            )
            for log, (_complaint, _task, companies) in zip(logs, tasks, strict=True)
            for c in companies
        ]
    )
    db.flush()
