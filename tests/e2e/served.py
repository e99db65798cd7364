"""The server side of the browser tests: ``tartip serve`` in a process of its own.

The browser tests start a fresh server for each test module and backend (about thirty in a
run). Started as ``python -m tartip serve``, each spent four seconds importing Tartip before it
answered. These processes are forked instead from a multiprocessing *forkserver* that imported
Tartip once (``tests/e2e/conftest.py`` preloads ``tartip.app`` and this module): a clean parent
with no database connection, browser or thread of the test process, so a child starts with
nothing of the test's state — a separate process serving real HTTP, in a fraction of the time.
"""

from __future__ import annotations

import os

from tartip import cli


def serve(env: dict[str, str], workdir: str, log: str, port: int) -> None:
    """Run ``tartip serve --no-jobs`` on ``port`` with ``env``, writing its output to ``log``."""
    os.environ.update(env)
    os.chdir(workdir)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    cli.serve(host="127.0.0.1", port=port, jobs=False)
