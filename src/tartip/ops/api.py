"""The JSON API of the ops domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["ops"])
