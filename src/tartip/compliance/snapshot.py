"""The fleet at one moment as columns of numbers: what the detectors read, with no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tartip.fleet.enums import VehicleStatus

# Status codes in the ``status`` column.
AVAILABLE, RESERVED, DISABLED = 0, 1, 2
STATUS_CODE = {
    VehicleStatus.available.value: AVAILABLE,
    VehicleStatus.reserved.value: RESERVED,
    VehicleStatus.disabled.value: DISABLED,
}


@dataclass(frozen=True)
class FleetSnapshot:
    """Every vehicle in a city's feeds at ``at`` (POSIX seconds), one array per attribute.

    ``parked_since`` is when the vehicle's current feed id was first seen: GBFS rotates ids after
    each trip, so it is the start of the current parking. ``disabled_since`` is NaN for vehicles
    that are not disabled.
    """

    at: float
    row_id: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    company: NDArray[np.int64]
    status: NDArray[np.int8]
    parked_since: NDArray[np.float64]
    disabled_since: NDArray[np.float64]
    vehicle_ids: Sequence[str] = ()
    company_slugs: Mapping[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lon)

    @classmethod
    def build(
        cls,
        *,
        at: float,
        lon: Sequence[float] | NDArray[np.float64],
        lat: Sequence[float] | NDArray[np.float64],
        company: Sequence[int] | NDArray[np.int64],
        status: Sequence[int] | NDArray[np.int8] | None = None,
        parked_since: Sequence[float] | NDArray[np.float64] | None = None,
        disabled_since: Sequence[float] | NDArray[np.float64] | None = None,
        row_id: Sequence[int] | NDArray[np.int64] | None = None,
        vehicle_ids: Sequence[str] = (),
        company_slugs: Mapping[int, str] | None = None,
    ) -> FleetSnapshot:
        """A snapshot from columns; missing ones default to available, just parked, row order."""
        n = len(lon)
        return cls(
            at=at,
            row_id=np.asarray(row_id if row_id is not None else np.arange(n), dtype=np.int64),
            lon=np.asarray(lon, dtype=np.float64),
            lat=np.asarray(lat, dtype=np.float64),
            company=np.asarray(company, dtype=np.int64),
            status=np.asarray(status if status is not None else np.zeros(n), dtype=np.int8),
            parked_since=np.asarray(
                parked_since if parked_since is not None else np.full(n, at), dtype=np.float64
            ),
            disabled_since=np.asarray(
                disabled_since if disabled_since is not None else np.full(n, np.nan),
                dtype=np.float64,
            ),
            vehicle_ids=vehicle_ids or [str(i) for i in range(n)],
            company_slugs=dict(company_slugs or {}),
        )
