"""Background jobs of the public domain (registered with ``tartip.core.jobs.job``)."""

from __future__ import annotations
