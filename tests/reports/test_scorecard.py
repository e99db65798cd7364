"""The scorecard's formulas on hand-counted inputs (pure: no database)."""

from __future__ import annotations

import numpy as np
import pytest

from tartip.reports import scorecard as sc
from tartip.reports.scorecard import (
    FeedInputs,
    FleetCounts,
    HandoverTimes,
    MdsCounts,
    Missing,
    PullSlot,
)

ALMATY = "Asia/Almaty"
HOUR = 3600.0


def test_slots_carry_the_last_count_and_feeds_add_up():
    # Feed A: 10 before the month, pulls in slots 1 and 3; feed B from slot 2 only.
    a = FleetCounts(mean={1: 12.0, 3: 8.0}, peak={1: 14, 3: 9}, before=10)
    b = FleetCounts(mean={2: 5.0}, peak={2: 6})
    mean, peak = sc.on_street([a, b], 5)
    assert mean.tolist() == [10, 12, 17, 13, 13]
    assert peak.tolist() == [10, 14, 20, 15, 15]
    # Without a count before the month, the slots before the first pull are unknown.
    late = FleetCounts(mean={2: 4.0}, peak={2: 4})
    assert np.isnan(sc.on_street([late], 4)[0][:2]).all()
    # A feed with no pull in the month does not make the fleet known, whatever came before.
    silent = FleetCounts(before=50)
    assert np.isnan(sc.on_street([silent], 3)[0]).all()


def test_deployed_average_peak_and_days_over_cap():
    mean = np.array([2, 2, 3.5, 1, 1, np.nan])
    peak = np.array([2, 2, 4, 1, 1, np.nan])
    days = [slice(0, 3), slice(3, 6)]
    measure = sc.deployed(mean, peak, days, cap=3)
    assert measure.figure("average").value == 1.9  # 9.5 / 5 known slots
    assert measure.figure("peak").value == 4
    assert measure.figure("cap").value == 3
    assert measure.figure("average_of_cap").value == round(9.5 / 5 / 3, 4)
    assert measure.figure("days_over_cap").value == 1  # only the first day peaked above 3
    assert measure.figure("slots").value == 5
    no_cap = sc.deployed(mean, peak, days, cap=None)
    assert no_cap.figure("cap").missing is Missing.no_cap
    assert no_cap.figure("days_over_cap").value is None
    unknown = np.full(6, np.nan)
    unheard = sc.deployed(unknown, unknown, days, cap=3)
    assert unheard.figure("average").missing is Missing.no_feed_data
    assert unheard.figure("cap").value == 3 and not unheard.has_data


def test_rates_per_100_vehicles_need_vehicles():
    assert (
        sc.rate_measure(sc.MeasureKey.parking_violations, "violations", 4, 1.6)
        .figure("per_100_vehicles")
        .value
        == 250.0
    )
    zero = sc.rate_measure(sc.MeasureKey.parking_violations, "violations", 4, 0.0)
    assert zero.figure("per_100_vehicles").missing is Missing.no_vehicles
    unknown = sc.rate_measure(sc.MeasureKey.put_in_order, "vehicles_put_in_order", 4, None)
    assert unknown.figure("per_100_vehicles").missing is Missing.no_feed_data
    assert unknown.figure("vehicles_put_in_order").value == 4


def test_disabled_hours_beyond_the_threshold_within_the_month():
    start, until = 100 * HOUR, 400 * HOUR
    spells = [
        ("a", start - 50 * HOUR, start + 10 * HOUR),  # from May: 10 h in the month
        ("b", start + 24 * HOUR, start + 42 * HOUR),  # 18 h
        ("b", start + 100 * HOUR, start + 101 * HOUR),  # the same vehicle again: 1 h
        ("c", start - 9 * HOUR, start - HOUR),  # over before the month
        ("d", until - 2 * HOUR, until + 5 * HOUR),  # 2 h in the month
    ]
    measure = sc.disabled_left(spells, threshold_s=12 * HOUR, start=start, until=until, heard=True)
    assert measure.figure("vehicles").value == 3  # a, b, d
    assert measure.figure("vehicle_hours").value == 10 + 18 + 1 + 2
    assert measure.figure("threshold_hours").value == 12
    unheard = sc.disabled_left(spells, threshold_s=1, start=start, until=until, heard=False)
    assert unheard.figure("vehicles").missing is Missing.no_feed_data


def test_percentile_is_linear_between_ranks():
    assert sc.percentile([2.0, 30.0], 50) == 16.0
    assert sc.percentile([2.0, 30.0], 90) == pytest.approx(27.2)
    assert sc.percentile([1.0, 2.0, 3.0, 4.0, 10.0], 50) == 3.0


def test_damage_collection_times_and_share_within_due():
    t = 1000 * HOUR
    handovers = [
        HandoverTimes(t, t + 24 * HOUR, t + 2 * HOUR),  # on time
        HandoverTimes(t, t + 24 * HOUR, t + 30 * HOUR),  # late
        HandoverTimes(t, t + 24 * HOUR, None),  # overdue now
        HandoverTimes(t + 40 * HOUR, t + 64 * HOUR, None),  # not due yet
    ]
    measure = sc.damage_collection(handovers, now=t + 50 * HOUR)
    assert measure.figure("median_hours").value == 16.0
    assert measure.figure("p90_hours").value == 27.2
    assert measure.figure("within_due_share").value == round(1 / 3, 4)
    assert [i.value for i in measure.inputs] == [4, 2, 1, 2, 1]
    waiting = sc.damage_collection([HandoverTimes(t, t + 24 * HOUR, None)], now=t + HOUR)
    assert waiting.figure("median_hours").missing is Missing.none_collected
    assert waiting.figure("within_due_share").missing is Missing.none_due
    none = sc.damage_collection([], now=t)
    assert none.figure("median_hours").missing is Missing.no_handovers
    assert none.figure("within_due_share").missing is Missing.no_handovers


def test_complaints_per_1000_trips():
    assert sc.complaints(3, 5000).figure("per_1000_trips").value == 0.6
    no_trips = sc.complaints(3, 0)
    assert no_trips.figure("per_1000_trips").missing is Missing.no_trips
    assert no_trips.figure("complaints").value == 3


def test_feed_availability_and_data_age():
    origin = 1_000_000
    inputs = FeedInputs(
        slots={
            0: PullSlot(pulls=2, failed=0, vehicle_pulls=2, last_new=origin + 0),
            1: PullSlot(pulls=1, failed=1, vehicle_pulls=1, last_new=None),
            2: PullSlot(pulls=2, failed=0, vehicle_pulls=1, last_new=origin + 700),
            # slot 5: only a discovery file was pulled: no age sample after it
            5: PullSlot(pulls=1, failed=0, vehicle_pulls=0, last_new=None),
        },
        last_new_before=origin - 100,
    )
    measure = sc.feed(inputs, slots=10, origin=origin)
    assert measure.figure("pull_success_share").value == 0.8333  # 5 of 6
    assert measure.figure("time_up_share").value == 0.75  # slots 0, 2, 5 of 0, 1, 2, 5
    # Samples after slots 0, 1, 2: ages 300 − 0, 600 − 0, 900 − 700.
    assert sc.data_ages(inputs, slots=10, origin=origin) == [300, 600, 200]
    assert measure.figure("median_age_s").value == 300
    # New data before the month gives the first samples an age too.
    late = FeedInputs(slots={0: PullSlot(1, 0, 1, None)}, last_new_before=origin - 100)
    assert sc.data_ages(late, slots=3, origin=origin) == [400]
    empty = sc.feed(FeedInputs(), slots=10, origin=origin)
    assert all(f.missing is Missing.no_pulls for f in empty.figures)


def test_mds_quality_shares():
    measure = sc.mds_quality(
        MdsCounts(events=200, late=10, flagged=4, trips_checked=50, trips_missing_events=5),
        late_after_s=24 * HOUR,
    )
    assert measure.figure("late_share").value == 0.05
    assert measure.figure("impossible_share").value == 0.02
    assert measure.figure("missing_share").value == 0.1
    assert measure.figure("sample_share").value == 1
    none = sc.mds_quality(MdsCounts(), late_after_s=24 * HOUR)
    assert not none.has_data and none.figure("late_share").missing is Missing.no_mds
