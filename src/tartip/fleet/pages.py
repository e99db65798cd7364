"""The HTML pages of the fleet domain: the supervisor's live map.

The page is a shell: ``static/js/map.js`` draws it from the public JSON API (``fleet/api.py`` and
``GET /api/v1/feeds``), so the map can do nothing a token holder could not do with the API.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from tartip.deps import Page
from tartip.fleet.enums import VehicleStatus

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/map", response_class=HTMLResponse)
def live_map(page: Page) -> Response:
    """The live map of every company's vehicles in the caller's city."""
    page.require_user()
    return page.render("fleet/map.html", {"statuses": list(VehicleStatus)})
