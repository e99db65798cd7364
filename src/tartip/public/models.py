"""Tables of the public domain."""

from __future__ import annotations
