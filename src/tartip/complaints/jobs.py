"""Background jobs of the complaints domain (registered with ``tartip.core.jobs.job``)."""

from __future__ import annotations
