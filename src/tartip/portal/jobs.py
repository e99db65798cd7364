"""Background jobs of the portal domain (registered with ``tartip.core.jobs.job``)."""

from __future__ import annotations
