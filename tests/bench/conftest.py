"""Benchmarks (`make bench`): each records its figures; the run updates docs/benchmarks.md.

A run rewrites the sections it measured and keeps the others, each marked with when it was
measured (so ``pytest -m bench tests/bench/test_report.py`` refreshes one section).

Figures are measured, never typed in: each benchmark calls ``record(section, rows)`` with rows of
(what, milliseconds, note), including the baseline it is compared with, measured in the same run.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
INTRO = DOC.parent / "benchmarks.intro.md"
Row = tuple[str, float, str]
_sections: dict[str, list[Row]] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/bench" in str(item.fspath):
            item.add_marker(pytest.mark.bench)


@pytest.fixture(scope="session")
def record() -> Callable[[str, list[Row]], None]:
    """Keep a benchmark's rows for the report."""

    def keep(section: str, rows: list[Row]) -> None:
        _sections.setdefault(section, []).extend(rows)

    return keep


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout
    return (
        f"{os.cpu_count()} × {cpu}, {mem_kb / 1024 / 1024:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"{pg.strip() or 'PostgreSQL ?'}"
    )


_LAST_RUN = "Last run: "
_MEASURED = "_Measured "


def _kept_sections(now: str) -> dict[str, list[str]]:
    """The sections of the current doc, each with the date it was measured (a partial run keeps
    the sections it did not measure, marked with when they were)."""
    if not DOC.exists():
        return {}
    kept: dict[str, list[str]] = {}
    last_run = now
    title: str | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith(_LAST_RUN):
            last_run = line[len(_LAST_RUN) :].split(" on ", 1)[0]
        elif line.startswith("## "):
            title = line[3:]
            kept[title] = []
        elif title is not None:
            kept[title].append(line)
    for body in kept.values():
        if not any(line.startswith(_MEASURED) for line in body):
            body[:0] = ["", f"{_MEASURED}{last_run}._"]
    return kept


def _render() -> str:
    now = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    sections = _kept_sections(now)
    for section, rows in _sections.items():
        body = ["", f"{_MEASURED}{now}._", "", "| what | ms | note |", "|---|---:|---|"]
        body += [f"| {what} | {ms:.1f} | {note} |" for what, ms, note in rows]
        sections[section] = [*body, ""]
    lines = [INTRO.read_text(encoding="utf-8").rstrip(), ""]
    lines += [f"{_LAST_RUN}{now} on {_machine()}.", ""]
    for section, body in sections.items():
        lines += [f"## {section}", *body]
    return "\n".join(lines).rstrip() + "\n"


@pytest.fixture(scope="session", autouse=True)
def _write_report() -> Iterator[None]:
    yield
    if _sections:
        DOC.write_text(_render(), encoding="utf-8")
