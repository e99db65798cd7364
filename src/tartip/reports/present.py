"""Words for the scorecard: titles, labels and formulas (English msgids), and number formats.

The API gives the English texts; pages translate them through the catalogues (``reports.po``),
and ``tests/reports/test_present.py`` checks that every text here has its Russian and Kazakh.
The formulas are the short form of ``docs/scorecard.md``, shown beside each figure.
"""

from __future__ import annotations

from tartip.reports.scorecard import Figure, MeasureKey, Missing, Unit

MEASURE_TITLES: dict[MeasureKey, str] = {
    MeasureKey.deployed: "Vehicles on the street vs. fleet cap",
    MeasureKey.parking_violations: "Parking violations",
    MeasureKey.disabled_left: "Disabled vehicles left on the street",
    MeasureKey.damage_collection: "Collecting handed-over damaged vehicles",
    MeasureKey.complaints: "Complaints",
    MeasureKey.feed: "Feed availability and freshness",
    MeasureKey.mds_quality: "MDS data quality",
    MeasureKey.put_in_order: "Vehicles put in order by the operator",
}

# Headline figures: "<measure>.<figure>" → (label, formula).
FIGURES: dict[str, tuple[str, str]] = {
    "deployed.average": (
        "Average on the street",
        "Mean, over the month's 5-minute slots, of the vehicles the company's feed showed",
    ),
    "deployed.peak": ("Peak on the street", "Largest count a snapshot of the feed showed"),
    "deployed.cap": (
        "Fleet cap",
        "From the company's agreement; else the city's fleet cap in the thresholds",
    ),
    "deployed.average_of_cap": ("Average as share of cap", "Average on the street ÷ fleet cap"),
    "deployed.days_over_cap": (
        "Days over the cap",
        "Local days on which a snapshot showed more vehicles than the cap",
    ),
    "parking_violations.per_100_vehicles": (
        "Per 100 vehicles",
        "100 × parking violations opened in the month ÷ average vehicles on the street",
    ),
    "disabled_left.vehicles": (
        "Vehicles beyond the threshold",
        "Vehicles the detector found disabled on the street longer than the threshold, "
        "in the month",
    ),
    "disabled_left.vehicle_hours": (
        "Vehicle-hours beyond the threshold",
        "Sum of the hours each stood disabled beyond the threshold, within the month",
    ),
    "damage_collection.median_hours": (
        "Median time to collect",
        "Median of (collected − handed over), over the month's handovers collected so far",
    ),
    "damage_collection.p90_hours": (
        "90th percentile time to collect",
        "90th percentile of the same times (linear between ranks)",
    ),
    "damage_collection.within_due_share": (
        "Collected within the due time",
        "Collected by the due time ÷ (collected + overdue); those not yet due are left out",
    ),
    "complaints.per_1000_trips": (
        "Per 1,000 trips",
        "1,000 × complaints about the company received in the month ÷ its trips in the month",
    ),
    "feed.pull_success_share": (
        "Pulls answered",
        "Pulls of the company's feeds answered without error ÷ all pulls",
    ),
    "feed.time_up_share": (
        "Time up",
        "5-minute slots with an answered pull ÷ 5-minute slots with any pull",
    ),
    "feed.median_age_s": (
        "Median age of the data",
        "Median, over the 5-minute samples, of the time since the feed last brought new "
        "vehicle data",
    ),
    "mds_quality.late_share": (
        "Late events",
        "Checked events received more than the allowed delay after they happened ÷ checked events",
    ),
    "mds_quality.missing_share": (
        "Trips missing events",
        "Checked trips lacking their trip_start or trip_end event ÷ checked trips",
    ),
    "mds_quality.impossible_share": (
        "Impossible events",
        "Checked events flagged as impossible in the MDS state machine ÷ checked events",
    ),
    "put_in_order.per_100_vehicles": (
        "Per 100 vehicles",
        "100 × the company's vehicles scouts put in order ÷ average vehicles on the street",
    ),
}

# The inputs shown under each figure: key → label.
INPUTS: dict[str, str] = {
    "slots": "5-minute slots",
    "days": "days",
    "violations": "violations",
    "vehicles_average": "average vehicles",
    "threshold_hours": "threshold, h",
    "handed_over": "handed over",
    "collected": "collected",
    "collected_on_time": "on time",
    "late": "late",
    "waiting_not_due": "not yet due",
    "complaints": "complaints",
    "trips": "trips",
    "pulls": "pulls",
    "pulls_failed": "failed",
    "slots_observed": "slots pulled",
    "slots_up": "slots up",
    "age_samples": "age samples",
    "events": "events checked",
    "late_after_hours": "allowed delay, h",
    "trips_checked": "trips checked",
    "sample_share": "share read, %",
    "trips_missing_events": "trips missing events",
    "flagged": "flagged",
    "vehicles_put_in_order": "put in order",
}

MISSING: dict[Missing, str] = {
    Missing.no_feed_data: "no data: the company's feed did not answer this month",
    Missing.no_vehicles: "no data: no vehicles on the street",
    Missing.no_cap: "no fleet cap agreed",
    Missing.no_trips: "no data: no trips reported",
    Missing.no_handovers: "no data: nothing handed over",
    Missing.none_collected: "none collected yet",
    Missing.none_due: "none due yet",
    Missing.no_pulls: "no data: no pulls",
    Missing.no_mds: "no data: no MDS data",
}

UNITS: dict[Unit, str] = {
    Unit.vehicles: "vehicles",
    Unit.number: "",
    Unit.days: "days",
    Unit.share: "%",
    Unit.per_100_vehicles: "per 100 vehicles",
    Unit.per_1000_trips: "per 1,000 trips",
    Unit.hours: "h",
    Unit.seconds: "s",
    Unit.vehicle_hours: "vehicle-hours",
}


def figure_label(measure: MeasureKey, figure: Figure) -> str:
    """The label of a headline figure."""
    return FIGURES[f"{measure.value}.{figure.key}"][0]


def formula(measure: MeasureKey, figure: Figure) -> str:
    """The formula of a headline figure, in words."""
    return FIGURES[f"{measure.value}.{figure.key}"][1]


def number(figure: Figure) -> str:
    """The figure's value as shown (no unit): shares as percent, counts whole, others rounded."""
    value = figure.value
    if value is None:
        return "—"
    if figure.unit is Unit.share:
        return f"{value * 100:.1f}"
    if figure.unit in (Unit.vehicles, Unit.number, Unit.days) and float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:,.1f}".replace(",", "\u202f")


def all_texts() -> list[str]:
    """Every English text the pages translate from this module (for the translation test)."""
    texts = list(MEASURE_TITLES.values()) + list(INPUTS.values()) + list(MISSING.values())
    texts += [t for pair in FIGURES.values() for t in pair]
    texts += [u for u in UNITS.values() if u and u != "%"]
    return texts
