"""The companies' scorecard: the figures, and every formula as pure functions.

Nothing here touches the database: ``reading.py`` gets the inputs, ``service.py`` puts them
together, ``period.py`` turns a month into instants and samples. Each formula is written out in
``docs/scorecard.md``; the names of the figures (``Figure.key``) are the ones used there, in the
API and on the pages.

A figure whose inputs are missing has no value and says why (``Missing``): "no data" is never
shown as a zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from tartip.reports.period import SAMPLE_S


class Unit(StrEnum):
    """What a figure's number counts."""

    vehicles = "vehicles"
    number = "number"
    days = "days"
    share = "share"  # 0..1
    per_100_vehicles = "per_100_vehicles"
    per_1000_trips = "per_1000_trips"
    hours = "hours"
    seconds = "seconds"
    vehicle_hours = "vehicle_hours"


class Missing(StrEnum):
    """Why a figure has no value."""

    no_feed_data = "no_feed_data"  # no answer from the company's feeds in the month
    no_vehicles = "no_vehicles"  # no vehicle on the street: a rate per vehicle has no base
    no_cap = "no_cap"  # no fleet cap agreed with the company
    no_trips = "no_trips"  # no trips reported: a rate per trip has no base
    no_handovers = "no_handovers"  # no damaged vehicle handed over in the month
    none_collected = "none_collected"  # handovers, but none collected yet
    none_due = "none_due"  # handovers, but none collected or past due yet
    no_pulls = "no_pulls"  # Tartip pulled none of the company's feeds in the month
    no_mds = "no_mds"  # no MDS events or trips from the company in the month


class MeasureKey(StrEnum):
    """The scorecard's measures, in the order they are shown."""

    deployed = "deployed"
    parking_violations = "parking_violations"
    disabled_left = "disabled_left"
    damage_collection = "damage_collection"
    complaints = "complaints"
    feed = "feed"
    mds_quality = "mds_quality"
    put_in_order = "put_in_order"


@dataclass(frozen=True)
class Figure:
    """One number of the scorecard: its value (None: no data, and why) and its unit."""

    key: str
    value: float | None
    unit: Unit
    missing: Missing | None = None
    # A figure the company was given (its fleet cap), not one measured from data.
    given: bool = False

    @staticmethod
    def of(key: str, value: float | None, unit: Unit, missing: Missing) -> Figure:
        """A figure that is ``missing`` when ``value`` is None."""
        return Figure(key, value, unit, None if value is not None else missing)


@dataclass(frozen=True)
class Measure:
    """A measure: its headline figures and the inputs its formulas used."""

    key: MeasureKey
    figures: tuple[Figure, ...]
    inputs: tuple[Figure, ...] = ()

    @property
    def has_data(self) -> bool:
        """Whether at least one measured headline figure has a value."""
        return any(f.value is not None for f in self.figures if not f.given)

    def figure(self, key: str) -> Figure:
        """A figure or input by key (``KeyError`` if there is none)."""
        for found in (*self.figures, *self.inputs):
            if found.key == key:
                return found
        raise KeyError(key)


# --- vehicles deployed -----------------------------------------------------------------------


@dataclass
class FleetCounts:
    """One feed's vehicle counts per 5-minute slot, from the pulls of its vehicles file."""

    # The mean and the largest of the counts the slot's pulls brought, by slot index.
    mean: dict[int, float] = field(default_factory=dict)
    peak: dict[int, int] = field(default_factory=dict)
    # The count the last pull before the month brought (carried into its first slots).
    before: int | None = None


def _carried(values: Mapping[int, float], before: float | None, slots: int) -> NDArray[np.float64]:
    """``values`` per slot, each slot without one carrying the last known (NaN before any)."""
    series = np.full(slots + 1, np.nan)
    series[0] = np.nan if before is None else before
    for k, value in values.items():
        if 0 <= k < slots:
            series[k + 1] = value
    index = np.where(np.isnan(series), 0, np.arange(slots + 1))
    np.maximum.accumulate(index, out=index)
    carried: NDArray[np.float64] = series[index][1:]
    return carried


def on_street(
    feeds: Iterable[FleetCounts], slots: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The company's vehicles in each slot (mean, largest): its feeds summed, NaN while unknown.

    A slot without a pull keeps the feed's last count: while a feed is down its vehicles stay in
    the live picture (stale), and so they stay counted.
    """
    # A feed with nothing pulled in the month does not make its company's fleet known.
    pulled = [f for f in feeds if f.mean]
    if not pulled:
        return np.full(slots, np.nan), np.full(slots, np.nan)
    means = np.stack([_carried(f.mean, f.before, slots) for f in pulled])
    peaks = np.stack([_carried(f.peak, f.before, slots) for f in pulled])
    known = (~np.isnan(means)).any(axis=0)
    mean = np.where(known, np.nansum(means, axis=0), np.nan)
    peak = np.where(known, np.nansum(peaks, axis=0), np.nan)
    return mean, peak


def deployed(
    mean: NDArray[np.float64],
    peak: NDArray[np.float64],
    days: Sequence[slice],
    *,
    cap: int | None,
) -> Measure:
    """Vehicles on the street (average and peak over the month's slots) against the fleet cap."""
    known = ~np.isnan(mean)
    if not known.any():
        unknown = Missing.no_feed_data
        figures = (
            Figure("average", None, Unit.vehicles, unknown),
            Figure("peak", None, Unit.vehicles, unknown),
            _cap(cap),
            Figure("average_of_cap", None, Unit.share, unknown),
            Figure("days_over_cap", None, Unit.days, unknown),
        )
        return Measure(MeasureKey.deployed, figures, (Figure("slots", 0, Unit.number),))
    average = float(mean[known].mean())
    day_peaks = [float(np.nanmax(peak[d])) for d in days if (~np.isnan(peak[d])).any()]
    over = None if cap is None else sum(1 for p in day_peaks if p > cap)
    share = None if not cap else round(average / cap, 4)
    return Measure(
        MeasureKey.deployed,
        (
            Figure("average", round(average, 1), Unit.vehicles),
            Figure("peak", round(max(day_peaks), 1), Unit.vehicles),
            _cap(cap),
            Figure.of("average_of_cap", share, Unit.share, Missing.no_cap),
            Figure.of("days_over_cap", over, Unit.days, Missing.no_cap),
        ),
        (
            Figure("slots", int(known.sum()), Unit.number),
            Figure("days", len(day_peaks), Unit.days),
        ),
    )


def _cap(cap: int | None) -> Figure:
    return Figure(
        "cap", cap, Unit.vehicles, None if cap is not None else Missing.no_cap, given=True
    )


def per_100_vehicles(count: int, average: float | None) -> float | None:
    """``100 × count / average vehicles on street``; None without vehicles."""
    if average is None or average <= 0:
        return None
    return round(100.0 * count / average, 2)


def rate_measure(key: MeasureKey, count_key: str, count: int, average: float | None) -> Measure:
    """A count and the same count per 100 vehicles on the street."""
    missing = Missing.no_feed_data if average is None else Missing.no_vehicles
    return Measure(
        key,
        (
            Figure.of(
                "per_100_vehicles", per_100_vehicles(count, average), Unit.per_100_vehicles, missing
            ),
        ),
        (
            Figure(count_key, count, Unit.number),
            Figure.of(
                "vehicles_average",
                None if average is None else round(average, 1),
                Unit.vehicles,
                Missing.no_feed_data,
            ),
        ),
    )


# --- disabled vehicles left on the street ----------------------------------------------------


def disabled_left(
    spells: Iterable[tuple[str, float, float]],
    *,
    threshold_s: float,
    start: float,
    until: float,
    heard: bool,
) -> Measure:
    """Vehicles disabled on the street beyond the threshold in the month, and for how long.

    ``spells`` are (vehicle, from, to): the time each stood disabled *beyond* the threshold, as
    the detector recorded it (its ``disabled_too_long`` violations).
    """
    vehicles: set[str] = set()
    beyond = 0.0
    for key, began, ended in spells:
        overlap = min(ended, until) - max(began, start)
        if overlap > 0:
            vehicles.add(key)
            beyond += overlap
    threshold = Figure("threshold_hours", round(threshold_s / 3600, 2), Unit.hours)
    if not heard:
        return Measure(
            MeasureKey.disabled_left,
            (
                Figure("vehicles", None, Unit.vehicles, Missing.no_feed_data),
                Figure("vehicle_hours", None, Unit.vehicle_hours, Missing.no_feed_data),
            ),
            (threshold,),
        )
    return Measure(
        MeasureKey.disabled_left,
        (
            Figure("vehicles", len(vehicles), Unit.vehicles),
            Figure("vehicle_hours", round(beyond / 3600, 1), Unit.vehicle_hours),
        ),
        (threshold,),
    )


# --- damaged vehicles handed over ------------------------------------------------------------


@dataclass(frozen=True)
class HandoverTimes:
    """One handover: when it was handed over, when due, when collected (POSIX seconds)."""

    handed_over: float
    due: float
    collected: float | None


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile, linear between the closest ranks (numpy's and Excel's default)."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def damage_collection(handovers: Sequence[HandoverTimes], *, now: float) -> Measure:
    """Time to collect handed-over vehicles (median, p90) and the share collected when due."""
    done = [h.collected - h.handed_over for h in handovers if h.collected is not None]
    on_time = sum(1 for h in handovers if h.collected is not None and h.collected <= h.due)
    late = sum(
        1
        for h in handovers
        if (h.collected is not None and h.collected > h.due)
        or (h.collected is None and now > h.due)
    )
    waiting = sum(1 for h in handovers if h.collected is None and now <= h.due)
    none = Missing.no_handovers if not handovers else Missing.none_collected
    median = round(percentile(done, 50) / 3600, 2) if done else None
    p90 = round(percentile(done, 90) / 3600, 2) if done else None
    judged = on_time + late
    share = round(on_time / judged, 4) if judged else None
    return Measure(
        MeasureKey.damage_collection,
        (
            Figure.of("median_hours", median, Unit.hours, none),
            Figure.of("p90_hours", p90, Unit.hours, none),
            Figure.of(
                "within_due_share",
                share,
                Unit.share,
                Missing.no_handovers if not handovers else Missing.none_due,
            ),
        ),
        (
            Figure("handed_over", len(handovers), Unit.number),
            Figure("collected", len(done), Unit.number),
            Figure("collected_on_time", on_time, Unit.number),
            Figure("late", late, Unit.number),
            Figure("waiting_not_due", waiting, Unit.number),
        ),
    )


# --- complaints ------------------------------------------------------------------------------


def complaints(count: int, trips: int) -> Measure:
    """Complaints about the company per 1,000 of its trips."""
    value = round(1000.0 * count / trips, 2) if trips > 0 else None
    return Measure(
        MeasureKey.complaints,
        (Figure.of("per_1000_trips", value, Unit.per_1000_trips, Missing.no_trips),),
        (Figure("complaints", count, Unit.number), Figure("trips", trips, Unit.number)),
    )


# --- feed availability and freshness ---------------------------------------------------------


@dataclass(frozen=True)
class PullSlot:
    """The company's pulls within one 5-minute slot."""

    pulls: int = 0
    failed: int = 0
    # Pulls of a vehicles file, and the last one of them that brought new content (POSIX s).
    vehicle_pulls: int = 0
    last_new: float | None = None


@dataclass
class FeedInputs:
    """A company's pulls: per slot, new content before the month, and each feed's counts."""

    slots: dict[int, PullSlot] = field(default_factory=dict)
    last_new_before: float | None = None
    # Vehicle counts of each of the company's GBFS feeds (the fleet on the street).
    fleet: dict[int, FleetCounts] = field(default_factory=dict)


def data_ages(inputs: FeedInputs, *, slots: int, origin: int) -> list[float]:
    """The age of the company's newest vehicle data at each sample Tartip was pulling.

    The sample at the start of slot ``k`` counts when Tartip pulled a vehicles file in slot
    ``k − 1``; its age is the time since the last pull before it that brought new content.
    """
    ages: list[float] = []
    last = inputs.last_new_before
    for k in range(1, slots):
        before = inputs.slots.get(k - 1)
        if before is None:
            continue
        if before.last_new is not None:
            last = before.last_new
        if before.vehicle_pulls and last is not None:
            ages.append(origin + k * SAMPLE_S - last)
    return ages


def feed(inputs: FeedInputs, *, slots: int, origin: int) -> Measure:
    """Share of pulls answered, share of time up, and the median age of the vehicle data."""
    pulls = sum(s.pulls for s in inputs.slots.values())
    failed = sum(s.failed for s in inputs.slots.values())
    observed = sum(1 for s in inputs.slots.values() if s.pulls)
    up = sum(1 for s in inputs.slots.values() if s.pulls > s.failed)
    ages = data_ages(inputs, slots=slots, origin=origin)
    median_age = round(percentile(ages, 50), 1) if ages else None
    return Measure(
        MeasureKey.feed,
        (
            Figure.of(
                "pull_success_share",
                round((pulls - failed) / pulls, 4) if pulls else None,
                Unit.share,
                Missing.no_pulls,
            ),
            Figure.of(
                "time_up_share",
                round(up / observed, 4) if observed else None,
                Unit.share,
                Missing.no_pulls,
            ),
            Figure.of("median_age_s", median_age, Unit.seconds, Missing.no_pulls),
        ),
        (
            Figure("pulls", pulls, Unit.number),
            Figure("pulls_failed", failed, Unit.number),
            Figure("slots_observed", observed, Unit.number),
            Figure("slots_up", up, Unit.number),
            Figure("age_samples", len(ages), Unit.number),
        ),
    )


# --- MDS data quality ------------------------------------------------------------------------


@dataclass(frozen=True)
class MdsCounts:
    """A company's MDS events and trips of the month that were checked, and the faulty ones."""

    events: int = 0
    late: int = 0
    flagged: int = 0
    trips_checked: int = 0
    trips_missing_events: int = 0
    # The share of the month's rows read: 1 (all), or the sample windows' share.
    sample_share: float = 1.0


def mds_quality(counts: MdsCounts, *, late_after_s: float) -> Measure:
    """Shares of late and impossible events, and of trips missing their events."""

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return Measure(
        MeasureKey.mds_quality,
        (
            Figure.of("late_share", share(counts.late, counts.events), Unit.share, Missing.no_mds),
            Figure.of(
                "missing_share",
                share(counts.trips_missing_events, counts.trips_checked),
                Unit.share,
                Missing.no_mds,
            ),
            Figure.of(
                "impossible_share",
                share(counts.flagged, counts.events),
                Unit.share,
                Missing.no_mds,
            ),
        ),
        (
            Figure("events", counts.events, Unit.number),
            Figure("late", counts.late, Unit.number),
            Figure("late_after_hours", round(late_after_s / 3600, 2), Unit.hours),
            Figure("flagged", counts.flagged, Unit.number),
            Figure("trips_checked", counts.trips_checked, Unit.number),
            Figure("trips_missing_events", counts.trips_missing_events, Unit.number),
            Figure("sample_share", round(counts.sample_share, 5), Unit.share),
        ),
    )
