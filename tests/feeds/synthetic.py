"""A synthetic GBFS 2.3 fleet at Almaty for measuring the poll cycle (30,000 vehicles ≈ 14 MB).

``SyntheticFleet(n).document()`` gives the ``free_bike_status`` bytes; ``step()`` moves some
vehicles, changes some statuses and rotates some ids (GBFS 2.0+ after a trip), as between two
polls. Deterministic for a seed.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

import orjson

# Almaty's built-up area, roughly.
LON = (76.82, 77.02)
LAT = (43.18, 43.33)


@dataclass
class _Bike:
    bike_id: str
    lon: float
    lat: float
    reserved: bool
    disabled: bool
    type_id: str
    range_m: float


class SyntheticFleet:
    """``n`` vehicles; each ``step`` is one poll interval later."""

    def __init__(self, n: int = 30_000, *, seed: int = 2025, last_updated: int = 1_780_000_000):
        self.random = random.Random(seed)
        self.last_updated = last_updated
        self.bikes = [self._new() for _ in range(n)]

    def _new(self) -> _Bike:
        r = self.random
        return _Bike(
            bike_id=str(uuid.UUID(int=r.getrandbits(128))),
            lon=r.uniform(*LON),
            lat=r.uniform(*LAT),
            reserved=r.random() < 0.02,
            disabled=r.random() < 0.03,
            type_id=r.choice(("jet-standard", "jet-pro")),
            range_m=round(r.uniform(2_000, 40_000), 1),
        )

    def step(self, *, moved: float = 0.02, status: float = 0.005, rotated: float = 0.004) -> None:
        """Advance one poll: ``moved`` of the fleet moves 50–500 m, ``rotated`` gets new ids."""
        r = self.random
        self.last_updated += 10
        for i, bike in enumerate(self.bikes):
            x = r.random()
            if x < rotated:
                self.bikes[i] = self._new()
            elif x < rotated + moved:
                bike.lat += r.choice((-1, 1)) * r.uniform(50, 500) / 111_195
            elif x < rotated + moved + status:
                bike.reserved = not bike.reserved
            else:
                bike.lat += r.uniform(-3, 3) / 111_195  # GPS jitter
            bike.range_m = max(0.0, bike.range_m - 1)

    def document(self) -> bytes:
        """The current ``free_bike_status.json`` (GBFS 2.3) as bytes."""
        bikes = [
            {
                "bike_id": b.bike_id,
                "lat": round(b.lat, 6),
                "lon": round(b.lon, 6),
                "is_reserved": b.reserved,
                "is_disabled": b.disabled,
                "vehicle_type_id": b.type_id,
                "last_reported": self.last_updated - 5,
                "current_range_meters": b.range_m,
                "current_fuel_percent": round(min(1.0, b.range_m / 40_000), 3),
                "pricing_plan_id": "jet-minute-tariff",
                "rental_uris": {
                    "android": f"https://jet.example/android/rent?vehicle={b.bike_id}",
                    "ios": f"https://jet.example/ios/rent?vehicle={b.bike_id}",
                },
            }
            for b in self.bikes
        ]
        doc = {
            "last_updated": self.last_updated,
            "ttl": 10,
            "version": "2.3",
            "data": {"bikes": bikes},
        }
        return orjson.dumps(doc)
