"""The JSON API of the events domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["events"])
