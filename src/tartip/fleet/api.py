"""The JSON API of the fleet domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["fleet"])
