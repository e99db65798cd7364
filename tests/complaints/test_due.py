"""Due times: per category and source, city overrides, and field hours across local midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.complaints import access, due, due_times
from tartip.complaints.enums import ComplaintCategory, ComplaintSource, DueClock
from tartip.core.errors import Forbidden, InvalidInput
from tests.complaints.helpers import file, staff_scope

ALMATY = ZoneInfo("Asia/Almaty")
HOURS = due.ServiceHours.parse("07:00", "23:00", "Asia/Almaty")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ALMATY)


def test_field_hours_carry_over_local_midnight():
    # 22:30 in Almaty is 17:30 UTC the same day: half an hour tonight, 1.5 h from 07:00.
    received = local(2026, 6, 10, 22, 30)
    got = due.add_service_time(received, timedelta(hours=2), HOURS)
    assert got == local(2026, 6, 11, 8, 30)
    assert got.tzinfo == UTC and got == datetime(2026, 6, 11, 3, 30, tzinfo=UTC)


def test_a_complaint_received_after_midnight_local_waits_for_the_morning():
    # 02:00 local on the 11th is still the 10th in UTC (21:00): counting starts at 07:00 local.
    received = datetime(2026, 6, 10, 21, 0, tzinfo=UTC)
    got = due.add_service_time(received, timedelta(hours=4), HOURS)
    assert got == local(2026, 6, 11, 11, 0)


def test_calendar_hours_ignore_the_field_hours():
    received = local(2026, 6, 10, 22, 30)
    rule = due.DueRule(72, DueClock.calendar)
    assert due.due_at(received, rule, HOURS) == received + timedelta(hours=72)


def test_a_window_through_midnight_counts_both_sides():
    night = due.ServiceHours.parse("20:00", "04:00", "Asia/Almaty")
    got = due.add_service_time(local(2026, 6, 10, 23, 0), timedelta(hours=3), night)
    assert got == local(2026, 6, 11, 2, 0)
    # 05:00 is outside: the next window opens at 20:00.
    got = due.add_service_time(local(2026, 6, 11, 5, 0), timedelta(hours=1), night)
    assert got == local(2026, 6, 11, 21, 0)


def test_bodies_get_half_the_time_and_overrides_win():
    citizen = due.default_rule(ComplaintCategory.badly_parked, ComplaintSource.citizen)
    police = due.default_rule(ComplaintCategory.badly_parked, ComplaintSource.police)
    assert police.hours == citizen.hours / 2
    overrides = {
        ("badly_parked", "*"): due.DueRule(3, DueClock.calendar),
        ("*", "police"): due.DueRule(1, DueClock.calendar),
        ("badly_parked", "police"): due.DueRule(0.5, DueClock.calendar),
    }
    cat, src = ComplaintCategory.badly_parked, ComplaintSource
    assert due.pick_rule(cat, src.police, overrides).hours == 0.5
    assert due.pick_rule(cat, src.citizen, overrides).hours == 3
    assert due.pick_rule(ComplaintCategory.other, src.police, overrides).hours == 1
    assert due.pick_rule(ComplaintCategory.other, src.citizen, overrides) == due.default_rule(
        ComplaintCategory.other, src.citizen
    )


def test_a_stored_complaint_is_due_next_morning_local(db: Session, city: City):
    # Badly parked: 4 field hours; received 21:00 local → 2 h tonight, 2 h from 07:00.
    received = local(2026, 6, 10, 21, 0)
    complaint = file(db, city, occurred_at=received, now=received)
    db.expire_all()
    stored = access.get_public(db, city_id=city.id, reference=complaint.reference)
    assert stored is not None
    assert stored.due_at == local(2026, 6, 11, 9, 0)
    assert stored.due_at.astimezone(UTC) == datetime(2026, 6, 11, 4, 0, tzinfo=UTC)


def test_the_city_overrides_a_due_time(db: Session, city: City):
    admin = staff_scope(city, Role.admin)
    due_times.set_due_time(
        db, scope=admin, category="blocking_passage", source="*", hours=1, clock=DueClock.calendar
    )
    received = local(2026, 6, 10, 23, 30)
    complaint = file(
        db, city, category=ComplaintCategory.blocking_passage, occurred_at=received, now=received
    )
    assert complaint.due_at == received + timedelta(hours=1)
    with pytest.raises(Forbidden):
        due_times.set_due_time(
            db, scope=staff_scope(city), category="other", source="*", hours=1,
            clock=DueClock.calendar,
        )  # fmt: skip
    with pytest.raises(InvalidInput):
        due_times.set_due_time(
            db, scope=admin, category="nonsense", source="*", hours=1, clock=DueClock.calendar
        )
