"""Damage figures per company and month in city time, checked against hand-counted handovers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.cities.models import City, Company
from tartip.core.errors import InvalidInput
from tartip.damage import figures, intake, service
from tartip.damage.enums import DamageKind, DamageSource, HandoverStatus
from tartip.damage.schemas import FiguresRead
from tests import builders
from tests.damage.helpers import admin_scope, make_rep
from tests.ops.helpers import scope_of

JUNE = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)


def handover_at(
    db: Session, city: City, company: Company, at: datetime, collect_after_h: float | None
) -> None:
    """A vehicle reported and handed over at ``at``, collected that many hours later (or not)."""
    code = f"V-{at.timestamp():.0f}-{collect_after_h}-{company.slug}"
    report = intake.IncomingReport(
        source=DamageSource.staff, source_key=f"staff:{code}", company_id=company.id, code=code,
        kinds=[DamageKind.broken], reported_at=at,
    )  # fmt: skip
    result = intake.add_report(db, city_id=city.id, report=report, now=at)
    if collect_after_h is not None and result.case is not None:
        rows = service.list_handovers(db, scope=admin_scope(city), limit=1000).rows
        handover = next(r.handover for r in rows if r.case.id == result.case.id)
        service.step(
            db, handover=handover, target=HandoverStatus.collected, by="t",
            at=at + timedelta(hours=collect_after_h),
        )  # fmt: skip


@pytest.fixture
def handed(db: Session, city: City) -> None:
    jet, whoosh = builders.company(db, city, "jet"), builders.company(db, city, "whoosh")
    for hours in (2, 4, 10):
        handover_at(db, city, jet, JUNE + timedelta(days=hours), hours)
    # 19:30 UTC on 30 June is 00:30 on 1 July in Almaty (UTC+5): a July handover.
    handover_at(db, city, jet, datetime(2026, 6, 30, 19, 30, tzinfo=UTC), 1)
    handover_at(db, city, jet, datetime(2026, 7, 20, 12, 0, tzinfo=UTC), None)
    for hours in (1, 2, 3, 4):
        handover_at(db, city, whoosh, JUNE + timedelta(hours=hours), hours)
    unknown = intake.IncomingReport(
        source=DamageSource.staff, source_key="staff:unknown", company_id=None, code="??-1",
        kinds=[DamageKind.other], reported_at=JUNE,
    )  # fmt: skip
    intake.add_report(db, city_id=city.id, report=unknown, now=JUNE)


def by_key(read: FiguresRead) -> dict[tuple[str, str | None], tuple]:
    return {
        (r.month, r.company): (
            r.found,
            r.handed_over,
            r.collected,
            r.collect_median_h,
            r.collect_p90_h,
        )
        for r in read.rows
    }


def test_figures_by_company_and_month_in_city_time(db: Session, city: City, handed: None):
    read = figures.figures(db, scope=admin_scope(city), since="2026-06", until="2026-07")
    assert by_key(read) == {
        ("2026-06", "jet"): (3, 3, 3, 4.0, 10.0),
        ("2026-06", "whoosh"): (4, 4, 4, 2.5, 4.0),
        ("2026-06", None): (1, 0, 0, None, None),
        ("2026-07", "jet"): (2, 2, 1, 1.0, 1.0),
    }
    only_july = figures.figures(db, scope=admin_scope(city), since="2026-07", until="2026-07")
    assert list(by_key(only_july)) == [("2026-07", "jet")]


def test_a_company_sees_only_its_own_figures(
    app_client: TestClient, db: Session, city: City, handed: None
):
    rep = make_rep(db, city, "whoosh")
    read = figures.figures(db, scope=scope_of(rep), since="2026-06", until="2026-07")
    assert by_key(read) == {("2026-06", "whoosh"): (4, 4, 4, 2.5, 4.0)}
    token = builders.token_for(db, rep)
    answer = app_client.get(
        "/api/v1/damage/figures?since=2026-06&until=2026-07&company=jet",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200
    assert {r["company"] for r in answer.json()["rows"]} == {"whoosh"}


def test_percentiles_and_bad_months():
    assert figures.nearest_rank([5.0, 1.0, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == 9.0
    assert figures.nearest_rank([], 0.9) is None
    assert figures.median([3.0, 1.0, 2.0]) == 2.0
    with pytest.raises(InvalidInput):
        figures.month_start("2026-13")
    assert figures.months_back(datetime(2026, 2, 15).date(), 6) == ("2025-09", "2026-02")


def test_a_withdrawn_handover_is_not_counted_as_handed_over(db: Session, city: City, handed: None):
    rows = service.list_handovers(db, scope=admin_scope(city), limit=1000).rows
    july = datetime(2026, 7, 20, 12, 0, tzinfo=UTC)
    wrong = next(r.handover for r in rows if r.handover.handed_over_at == july)
    service.cancel(db, scope=admin_scope(city), handover_id=wrong.id, note="wrong", now=july)
    read = figures.figures(db, scope=admin_scope(city), since="2026-07", until="2026-07")
    # The vehicle was still reported (found); the wrong report is no handover.
    assert by_key(read) == {("2026-07", "jet"): (2, 1, 1, 1.0, 1.0)}
