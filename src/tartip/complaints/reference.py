"""Reference numbers people are given on receipt: ``ALA-261126-0042``.

City code, the day received in city time (YYMMDD), and the day's sequence number. Numbers are
handed out by reading the day's highest and adding one; the unique constraint on ``reference``
settles a race between two requests (the loser takes the next number, ``service.create``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.complaints.models import Complaint
from tartip.core.clock import to_city_time

# Cities' own codes (Almaty's airport code is what people there recognise); others: the slug.
CITY_CODES = {"almaty": "ALA", "astana": "NQZ", "shymkent": "CIT"}


def city_code(slug: str) -> str:
    """The letters that start a city's references."""
    return CITY_CODES.get(slug, "".join(ch for ch in slug.upper() if ch.isalnum())[:3] or "TT")


def day_prefix(slug: str, at: datetime, timezone: str) -> str:
    """``ALA-261126-``: the city and the local day of ``at``."""
    return f"{city_code(slug)}-{to_city_time(at, timezone):%y%m%d}-"


def next_reference(db: Session, *, city_slug: str, at: datetime, timezone: str) -> str:
    """The next free reference of the day ``at`` falls on in city time."""
    prefix = day_prefix(city_slug, at, timezone)
    stmt = select(Complaint.reference).where(Complaint.reference.like(f"{prefix}%"))
    numbers = [int(ref[len(prefix) :]) for ref in db.scalars(stmt) if ref[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def looks_like(text: str) -> bool:
    """Whether ``text`` has the shape of a reference (before asking the database)."""
    parts = text.strip().upper().split("-")
    return len(parts) == 3 and parts[0].isalnum() and parts[1].isdigit() and parts[2].isdigit()
