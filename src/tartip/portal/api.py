"""The JSON API of the portal domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["portal"])
