"""The web pages of complaints: the public form and status page (``pages_public.py``), staff's
pages (``pages_staff.py``) and the companies' portal (``pages_portal.py``).
"""

from __future__ import annotations

from fastapi import APIRouter

from tartip.complaints import pages_portal, pages_public, pages_staff
from tartip.deps import UploadRoute

router = APIRouter(include_in_schema=False, route_class=UploadRoute)
# The public pages first: /complaints/new and /complaints/status are matched before
# staff's /complaints/{ref}.
router.include_router(pages_public.router)
router.include_router(pages_staff.router)
router.include_router(pages_portal.router)
