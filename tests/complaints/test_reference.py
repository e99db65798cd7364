"""Reference numbers: the city, the local day, and a sequence that never repeats."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.complaints import reference
from tests.complaints.helpers import file

ALMATY = ZoneInfo("Asia/Almaty")


def test_references_count_up_per_local_day(db: Session, city: City):
    evening = datetime(2026, 11, 26, 23, 50, tzinfo=ALMATY)
    refs = [file(db, city, occurred_at=evening, now=evening).reference for _ in range(3)]
    assert refs == ["ALA-261126-0001", "ALA-261126-0002", "ALA-261126-0003"]
    # 00:10 local on the 27th is 19:10 UTC on the 26th: the local day names the reference.
    after_midnight = datetime(2026, 11, 27, 0, 10, tzinfo=ALMATY)
    assert after_midnight.astimezone(ZoneInfo("UTC")).day == 26
    assert file(db, city, occurred_at=after_midnight, now=after_midnight).reference == (
        "ALA-261127-0001"
    )


def test_the_next_number_follows_the_highest_even_after_a_gap(db: Session, city: City):
    at = datetime(2026, 11, 28, 12, 0, tzinfo=ALMATY)
    first = file(db, city, occurred_at=at, now=at)
    first.reference = "ALA-261128-0041"
    db.flush()
    assert reference.next_reference(db, city_slug="almaty", at=at, timezone=city.timezone) == (
        "ALA-261128-0042"
    )


def test_reference_shape():
    assert reference.looks_like("ala-261126-0042")
    assert not reference.looks_like("1")
    assert not reference.looks_like("ALA-26x126-0042")
    assert reference.city_code("almaty") == "ALA"
    assert reference.city_code("bishkek") == "BIS"
