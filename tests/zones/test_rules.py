"""Pure rule logic: schedules in the city's time zone (across midnight), validity, discs."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import shapely
from shapely.geometry import Point, Polygon

from tartip.zones import geometry as zgeom
from tartip.zones.enums import ZoneKind
from tartip.zones.rules import Schedule, ZoneRule

ALMATY = ZoneInfo("Asia/Almaty")


def rule(**fields) -> ZoneRule:
    return ZoneRule(
        zone_id=1,
        version=1,
        version_uid="u",
        city_id=1,
        kind=ZoneKind.no_parking,
        name="r",
        code=None,
        geometry=Point(0, 0).buffer(1),
        timezone="Asia/Almaty",
        **fields,
    )


def local(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ALMATY).astimezone(UTC)


# 2025-06-06 is a Friday.
NIGHT = Schedule(days=frozenset({"fri"}), start=time(22), end=time(6))


@pytest.mark.parametrize(
    ("moment", "active"),
    [
        (local(2025, 6, 6, 21, 59), False),
        (local(2025, 6, 6, 22, 0), True),
        (local(2025, 6, 6, 23, 59), True),
        (local(2025, 6, 7, 0, 30), True),  # Saturday morning belongs to Friday's night
        (local(2025, 6, 7, 5, 59), True),
        (local(2025, 6, 7, 6, 0), False),
        (local(2025, 6, 7, 22, 30), False),  # Saturday night is not scheduled
        (local(2025, 6, 6, 1, 0), False),  # Friday early morning belongs to Thursday
    ],
)
def test_a_night_schedule_crosses_midnight_in_almaty_time(moment: datetime, active: bool):
    assert rule(schedule=NIGHT).is_active(moment) is active


def test_the_schedule_is_read_in_city_time_not_utc():
    day = Schedule(days=frozenset({"mon"}), start=time(8), end=time(10))
    # 08:30 in Almaty on Monday 2025-06-09 is 03:30 UTC the same day.
    assert rule(schedule=day).is_active(datetime(2025, 6, 9, 3, 30, tzinfo=UTC))
    assert not rule(schedule=day).is_active(datetime(2025, 6, 9, 8, 30, tzinfo=UTC))


def test_almaty_moved_from_utc_plus_6_to_plus_5_in_2024():
    day = Schedule(start=time(9), end=time(10))
    assert rule(schedule=day).is_active(datetime(2024, 2, 20, 3, 30, tzinfo=UTC))  # +6
    assert rule(schedule=day).is_active(datetime(2024, 3, 20, 4, 30, tzinfo=UTC))  # +5


def test_a_whole_day_schedule_with_equal_ends():
    allday = Schedule(days=frozenset({"sun"}), start=time(0), end=time(0))
    assert rule(schedule=allday).is_active(local(2025, 6, 8, 23, 59))
    assert not rule(schedule=allday).is_active(local(2025, 6, 9, 0, 0))


def test_validity_period_is_half_open():
    start, end = datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 2, tzinfo=UTC)
    r = rule(active_from=start, active_until=end)
    assert not r.is_active(datetime(2025, 5, 31, 23, 59, tzinfo=UTC))
    assert r.is_active(start)
    assert not r.is_active(end)


def test_naive_moments_are_refused():
    with pytest.raises(ValueError):
        rule().is_active(datetime(2025, 1, 1))


def test_schedule_json_round_trip_and_bad_days():
    assert Schedule.from_json(NIGHT.to_json()) == NIGHT
    with pytest.raises(ValueError, match="unknown day"):
        Schedule.from_json({"days": ["funday"]})


def test_a_disc_has_its_radius_in_metres():
    ring = zgeom.disc(76.93, 43.25, 50)
    assert isinstance(ring, Polygon) and ring.is_valid and shapely.is_ccw(ring.exterior)
    for x, y in list(ring.exterior.coords)[:-1]:
        from tartip.core.geo import haversine_m

        assert abs(haversine_m(76.93, 43.25, x, y) - 50) < 0.2


def test_orientation_is_detected_and_repaired():
    cw = Polygon([(0, 0), (0, 1), (1, 1), (1, 0)])
    assert not zgeom.is_rfc7946_oriented(cw)
    assert zgeom.is_rfc7946_oriented(zgeom.oriented(cw))


def test_company_binding():
    assert rule().applies_to(5)
    assert rule(company_ids=frozenset({1})).applies_to(1)
    assert not rule(company_ids=frozenset({1})).applies_to(2)
