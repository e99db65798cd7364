"""Tables of the damage domain."""

from __future__ import annotations
