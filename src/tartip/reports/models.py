"""Tables of the reports domain."""

from __future__ import annotations
