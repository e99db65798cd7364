"""The JSON API of the trips domain: MDS Agency (``/api/v1/mds/agency/``) and trip statistics."""

from __future__ import annotations

from fastapi import APIRouter

from tartip.trips import api_agency, api_statistics

router = APIRouter(tags=["trips"])
router.include_router(api_agency.router)
router.include_router(api_statistics.router)
