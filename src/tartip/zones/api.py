"""The JSON API of the zones domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["zones"])
