"""Background jobs of the safety domain (registered with ``tartip.core.jobs.job``)."""

from __future__ import annotations
