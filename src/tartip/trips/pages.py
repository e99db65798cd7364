"""The web pages of the trips domain."""

from __future__ import annotations

from fastapi import APIRouter

from tartip.trips import pages_statistics

router = APIRouter(include_in_schema=False)
router.include_router(pages_statistics.router)
