"""Background jobs of the reports domain (registered with ``tartip.core.jobs.job``)."""

from __future__ import annotations
