"""The JSON API of the trips domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["trips"])
