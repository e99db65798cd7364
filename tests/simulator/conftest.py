"""Simulator fixtures: the Almaty scenario, small simulations and the official GBFS schemas."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from jsonschema import Draft7Validator

from tartip.simulator.scenario import Scenario
from tartip.simulator.scenarios.almaty import almaty_scenario
from tartip.simulator.simulation import Simulation

SCHEMAS = Path(__file__).resolve().parents[2] / "src" / "tartip" / "data" / "gbfs-schemas"
ALMATY = ZoneInfo("Asia/Almaty")
# A Monday in the season, at 06:00 city time: the day's first riders are about to appear.
MONDAY_6AM = datetime(2025, 6, 2, 6, 0, tzinfo=ALMATY)


@cache
def validator(version: str, feed: str) -> Draft7Validator:
    """A format-checking validator for the official schema of ``feed`` in ``version``."""
    schema = orjson.loads((SCHEMAS / f"v{version}" / f"{feed}.json").read_bytes())
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def schema_errors(version: str, feed: str, document: Any) -> list[str]:
    """What the official schema finds wrong with ``document`` (empty when it conforms)."""
    errors = validator(version, feed).iter_errors(document)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def make_simulation(
    vehicles: int = 600, *, seed: int = 7, start: datetime = MONDAY_6AM, tick_s: float = 10.0
) -> Simulation:
    """A small Almaty simulation."""
    return Simulation(almaty_scenario(), seed=seed, vehicles=vehicles, start=start, tick_s=tick_s)


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    """The Almaty scenario (loaded once)."""
    return almaty_scenario()


@pytest.fixture(scope="module")
def busy_simulation() -> Simulation:
    """600 scooters after a morning: trips done, some reserved, some broken."""
    simulation = make_simulation()
    simulation.step(4 * 3600)
    return simulation
