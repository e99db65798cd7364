"""Background jobs of the notify domain (registered with ``tartip.core.jobs.job``)."""

from __future__ import annotations
