"""Reading the code printed on a vehicle: liberal about what a QR code holds."""

from __future__ import annotations

import pytest

from tartip.ops.vehicles import candidates


@pytest.mark.parametrize(
    ("code", "first"),
    [
        ("JT-4821", "JT-4821"),
        ("  123456 ", "123456"),
        ("https://jet.kz/scooter/JT-4821", "JT-4821"),
        ("https://whoosh.app/s?scooter=WH1&utm=qr", "WH1"),
        ("https://go.yandex/scooters?number=Y-77#x", "Y-77"),
        ("www.jet.kz/q/ABC123/", "ABC123"),
        ("https://example.com/#id=F00D", "F00D"),
    ],
)
def test_candidates(code: str, first: str):
    assert candidates(code)[0] == first


def test_candidates_are_unique_and_few():
    found = candidates("https://a.kz/x/ABC/abc/" + "/".join(f"p{i:03d}" for i in range(20)))
    assert len(found) <= 8 and len({f.lower() for f in found}) == len(found)
