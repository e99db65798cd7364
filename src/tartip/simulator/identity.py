"""Stable identities of the simulated vehicles for MDS: device UUIDs and the codes printed on them.

GBFS ids rotate after every trip (privacy), so they cannot name a physical scooter. MDS names it
twice: ``device_id``, a UUID constant for the device's life, and ``vehicle_id``, the code printed
on the scooter (what a scout types). Both are derived from the seed and the vehicle's number, so a
run repeats exactly; ``provider_id`` depends on the company only, so Tartip's configuration stays
valid across runs and seeds.
"""

from __future__ import annotations

import hashlib
import uuid

import numpy as np

from tartip.simulator.places import IntArray
from tartip.simulator.scenario import CompanySpec

# A fixed namespace: provider ids are uuid5(NAMESPACE, "provider:<slug>"). Never a real
# provider's id from the MDS registry, so simulated data cannot pass for a real company's.
NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-5e8f-9a0b-1c2d3e4f5a6b")
# Printed codes: a company prefix and six digits, numbered 100000-999999 in a seeded order (a
# step coprime with 900,000 visits every number once), so a code says nothing about fleet order.
CODE_SPAN = 900_000
CODE_STEP = 7_919


def provider_id(company: CompanySpec) -> str:
    """The MDS ``provider_id`` of a simulated company."""
    return str(uuid.uuid5(NAMESPACE, f"provider:{company.slug}"))


class Identities:
    """Every vehicle's ``device_id`` and printed code, and the ids of MDS records."""

    def __init__(self, seed: int, companies: tuple[CompanySpec, ...], company: IntArray) -> None:
        self._key = f"tartip-simulator:{seed}:".encode()
        self.provider_ids = [provider_id(c) for c in companies]
        n = len(company)
        self.device_ids = [self.uuid("device", i) for i in range(n)]
        self.codes: list[str] = [""] * n
        for index, spec in enumerate(companies):
            mine = np.flatnonzero(company == index)
            offset = int.from_bytes(self._digest("code", spec.slug)[:4], "big") % CODE_SPAN
            numbers = 100_000 + (np.arange(len(mine)) * CODE_STEP + offset) % CODE_SPAN
            for vehicle, number in zip(mine.tolist(), numbers.tolist(), strict=True):
                self.codes[vehicle] = f"{spec.code_prefix}-{number:06d}"
        self._by_device = {d: i for i, d in enumerate(self.device_ids)}
        self._by_code = {c: i for i, c in enumerate(self.codes)}

    def _digest(self, *parts: object) -> bytes:
        text = ":".join(str(p) for p in parts).encode()
        return hashlib.blake2b(self._key + text, digest_size=16).digest()

    def uuid(self, *parts: object) -> str:
        """A version-4-shaped UUID for ``parts``: the same parts always give the same UUID.

        Formatted by hand (what ``uuid.UUID(bytes=…, version=4)`` gives, at a third of the
        cost): MDS documents carry tens of thousands of ids an hour.
        """
        raw = bytearray(self._digest(*parts))
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def event_id(self, serial: int) -> str:
        """The ``event_id`` of the event with ``serial`` (negative: a vehicle's state at start)."""
        if serial < 0:
            return self.uuid("initial-event", -serial - 1)
        return self.uuid("event", serial)

    def trip_id(self, serial: int) -> str:
        """The ``trip_id`` of trip number ``serial``."""
        return self.uuid("trip", serial)

    def telemetry_id(self, vehicle: int, timestamp_ms: int) -> str:
        """The ``telemetry_id`` of a vehicle's position report at ``timestamp_ms``."""
        return self.uuid("telemetry", vehicle, timestamp_ms)

    def by_device(self, device_id: str) -> int | None:
        """The vehicle with ``device_id``, or None."""
        return self._by_device.get(device_id.strip().lower())

    def by_code(self, code: str) -> int | None:
        """The vehicle with the printed ``code`` (any case, with or without the dash), or None."""
        text = code.strip().upper()
        found = self._by_code.get(text)
        if found is None and "-" not in text and len(text) > 6:
            found = self._by_code.get(f"{text[:-6]}-{text[-6:]}")
        return found
