"""Background jobs of the damage domain (registered with ``tartip.core.jobs.job``)."""

from __future__ import annotations
