"""The simulated vehicles: one numpy array per attribute, and their rotating GBFS ids."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from tartip.simulator.places import BoolArray, FloatArray, IntArray

ObjectArray = npt.NDArray[np.object_]


class VehicleState(IntEnum):
    """Where a vehicle is in its day; an int so the whole fleet fits in one numpy array."""

    parked = 0  # on the street, available to rent
    reserved = 1  # on the street, held for a rider who is walking to it
    on_trip = 2  # ridden: absent from the feed, as in real GBFS
    disabled = 3  # broken on the street, waiting for its company to collect it
    away = 4  # in a van or depot (repair, charging, rebalancing): absent from the feed


VISIBLE_STATES = (VehicleState.parked, VehicleState.reserved, VehicleState.disabled)


class IdMint:
    """Mints vehicle ids: UUIDs derived from the seed and a serial, so runs repeat exactly."""

    def __init__(self, seed: int) -> None:
        self._key = f"tartip-simulator:{seed}:".encode()
        self.next_serial = 0

    def mint(self, count: int) -> tuple[IntArray, list[str]]:
        """``count`` new serial numbers and their ids (never handed out before in this run)."""
        first = self.next_serial
        self.next_serial += count
        serials = np.arange(first, first + count, dtype=np.int64)
        ids = [self.id_for(int(s)) for s in serials]
        return serials, ids

    def id_for(self, serial: int) -> str:
        """The id of ``serial``: a version-4-shaped UUID that reveals nothing about the vehicle."""
        digest = hashlib.blake2b(self._key + serial.to_bytes(8, "big"), digest_size=16).digest()
        return str(uuid.UUID(bytes=digest, version=4))


@dataclass
class Fleet:
    """Every simulated vehicle of every company; index ``i`` in each array is vehicle ``i``."""

    company: IntArray
    state: IntArray
    lon: FloatArray
    lat: FloatArray
    place: IntArray  # the place the vehicle stands at, or is heading to
    station: IntArray  # virtual station index for station-based companies, else -1
    charge: FloatArray  # battery, 0..1
    until: FloatArray  # when the current state ends (POSIX s); inf while parked
    serial: IntArray  # serial of the current id; a new one after every disappearance
    changed_at: FloatArray  # when the state last changed (POSIX s)
    heartbeat: FloatArray  # phase of the vehicle's periodic status report (s)
    ids: ObjectArray

    @classmethod
    def empty(cls, companies: IntArray) -> Fleet:
        """A fleet of ``len(companies)`` vehicles with every attribute still to be set."""
        n = len(companies)
        return cls(
            company=companies.astype(np.int64),
            state=np.zeros(n, dtype=np.int64),
            lon=np.zeros(n),
            lat=np.zeros(n),
            place=np.zeros(n, dtype=np.int64),
            station=np.full(n, -1, dtype=np.int64),
            charge=np.ones(n),
            until=np.full(n, np.inf),
            serial=np.zeros(n, dtype=np.int64),
            changed_at=np.zeros(n),
            heartbeat=np.zeros(n),
            ids=np.empty(n, dtype=np.object_),
        )

    def __len__(self) -> int:
        return len(self.state)

    def renew_ids(self, vehicles: IntArray, mint: IdMint) -> None:
        """Give ``vehicles`` new ids (GBFS 2.0+ privacy: a new id after every trip)."""
        if len(vehicles) == 0:
            return
        serials, ids = mint.mint(len(vehicles))
        self.serial[vehicles] = serials
        self.ids[vehicles] = np.array(ids, dtype=np.object_)

    def in_state(self, state: VehicleState) -> BoolArray:
        """A mask of the vehicles in ``state``."""
        mask: BoolArray = self.state == int(state)
        return mask

    def set_state(self, vehicles: IntArray, state: VehicleState, at: FloatArray | float) -> None:
        """Move ``vehicles`` to ``state`` at time ``at``."""
        self.state[vehicles] = int(state)
        self.changed_at[vehicles] = at

    def send_away(
        self, vehicles: IntArray, *, at: float, until: FloatArray, places: IntArray
    ) -> None:
        """Take ``vehicles`` off the street until ``until``; they come back at ``places``."""
        self.set_state(vehicles, VehicleState.away, at)
        self.until[vehicles] = until
        self.place[vehicles] = places
        self.station[vehicles] = -1

    def visible(self, company: int) -> IntArray:
        """A company's vehicles shown in its feed, ordered by id serial, not by vehicle.

        Ordering by vehicle would let a reader follow a vehicle across id changes by its place
        in the list; the serial order changes whenever an id does.
        """
        mask = (self.company == company) & (
            (self.state == VehicleState.parked)
            | (self.state == VehicleState.reserved)
            | (self.state == VehicleState.disabled)
        )
        chosen = np.flatnonzero(mask)
        order: IntArray = chosen[np.argsort(self.serial[chosen], kind="stable")]
        return order


def split_fleet(total: int, shares: list[float]) -> list[int]:
    """``total`` vehicles split by ``shares`` (largest remainder, so the parts add up)."""
    weight = sum(shares)
    exact = [total * s / weight for s in shares]
    counts = [int(e) for e in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts
