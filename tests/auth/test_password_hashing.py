"""Passwords: Argon2id with strong parameters in production; any Argon2 hash verifies."""

from __future__ import annotations

import subprocess
import sys

from argon2 import PasswordHasher, extract_parameters, profiles


def test_a_fresh_process_hashes_with_rfc_9106_low_memory_parameters() -> None:
    # The suite's own process uses cheap parameters (tests/conftest.py); production's default is
    # what a process that never changed it does.
    code = "from tartip.auth import service; print(service.hash_password('correct horse'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found = extract_parameters(out.stdout.strip())
    strong = profiles.RFC_9106_LOW_MEMORY
    assert (found.type, found.memory_cost, found.time_cost, found.parallelism) == (
        strong.type, strong.memory_cost, strong.time_cost, strong.parallelism,
    )  # fmt: skip


def test_a_cheap_hash_verifies_under_the_default_hasher_and_asks_to_be_made_strong() -> None:
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST).hash("correct horse")
    default = PasswordHasher()
    assert default.verify(cheap, "correct horse")
    assert default.check_needs_rehash(cheap)
