"""The JSON API of the damage domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["damage"])
