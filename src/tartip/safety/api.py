"""The JSON API of the safety domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["safety"])
