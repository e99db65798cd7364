"""The demo city's complaints policy: new complaints are routed automatically.

In the demo a citizen's complaint should reach a (simulated) scout and the companies without
anyone at the supervisor's desk; an admin can still switch it off on ``/complaints``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.complaints import policy


def seed_demo_complaints(db: Session, city: City) -> None:
    """Turn automatic routing on for the demo city, unless an admin already chose."""
    policy.ensure(db, city_id=city.id, auto_route=True, by="demo")
