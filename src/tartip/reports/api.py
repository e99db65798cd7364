"""The JSON API of the reports domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
