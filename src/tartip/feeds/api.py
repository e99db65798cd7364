"""The JSON API of the feeds domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["feeds"])
