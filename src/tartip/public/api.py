"""The JSON API of the public domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["public"])
