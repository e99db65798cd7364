"""Background jobs of the trips domain (registered with ``tartip.core.jobs.job``)."""

from __future__ import annotations
