"""The MDS Agency 2.0 API at ``/api/v1/mds/agency/``: sharing companies push to Tartip.

Routes (MDS Agency 2.0 paths, and the ``vehicles/…`` spellings some companies use):
``POST|PUT|GET /vehicles``, ``GET /vehicles/{device_id}``, ``POST /events`` (also
``/vehicles/events``), ``POST /telemetry`` (also ``/vehicles/telemetry``), ``POST /trips``.

Authentication is the company's bearer token (an API token of a company representative).
Everything answers in MDS terms: the ``application/vnd.mds+json;version=2.0`` media type, bulk
responses for pushes, and MDS error bodies (``error``, ``error_description``, ``error_details``)
for every refusal, including authentication (401), permission (403), an unsupported version in
``Accept`` (406) and a body that is not a JSON array (400). The body is taken as a plain JSON
array, not a pydantic model, so that each item is checked and answered on its own
(``tartip.trips.agency``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from tartip.cities.models import Company
from tartip.core.clock import utcnow
from tartip.core.errors import NotFound, TartipError
from tartip.deps import CurrentScope, DbSession, Paging
from tartip.trips import agency

MEDIA_TYPE = "application/vnd.mds+json;version=2.0"
VERSION = "2.0.0"
_VERSION_PARAM = re.compile(r"version\s*=\s*\"?([0-9.]+)\"?")


def mds_error(status: int, error: str, description: str, details: list[str]) -> JSONResponse:
    """An MDS error answer (``error_details`` has at least one entry, as the schema requires)."""
    body = {
        "error": error,
        "error_description": description,
        "error_details": details or [error],
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def accepted_version(accept: str | None) -> str | None:
    """The MDS version asked for in ``Accept`` ("2.0" when none is named); None: unsupported."""
    if not accept:
        return "2.0"
    for part in accept.split(","):
        media = part.strip().lower()
        if not media.startswith("application/vnd.mds"):
            continue
        found = _VERSION_PARAM.search(media)
        if found is None or found.group(1) in ("2.0", "2"):
            return "2.0"
        return None
    return "2.0"  # application/json, */*: MDS-unaware clients get 2.0


class MdsRoute(APIRoute):
    """A route that speaks MDS: version negotiation, media type and MDS error bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler (and so the dependencies: auth, scope) in MDS conventions."""
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            if accepted_version(request.headers.get("accept")) is None:
                return mds_error(
                    406,
                    "unsupported_version",
                    "Tartip's Agency API speaks MDS 2.0 only",
                    ["Accept"],
                )
            try:
                response = await original(request)
            except TartipError as exc:
                details = [p.where for p in exc.problems] or [_detail_of(exc)]
                answer = mds_error(exc.status_code, exc.code, exc.message, details)
                if exc.status_code == 401:
                    answer.headers["WWW-Authenticate"] = "Bearer"
                return answer
            except RequestValidationError as exc:
                details = [".".join(str(p) for p in e["loc"]) for e in exc.errors()]
                return mds_error(400, "bad_param", "A validation error occurred", details)
            if response.media_type in (None, "application/json"):
                response.headers["content-type"] = MEDIA_TYPE
            return response

        return handler


def _detail_of(exc: TartipError) -> str:
    return {401: "Authorization", 403: "Authorization", 404: "device_id"}.get(
        exc.status_code, exc.code
    )


router = APIRouter(prefix="/mds/agency", tags=["mds-agency"], route_class=MdsRoute)


Items = Annotated[list[Any], Body(description="An array of MDS 2.0 objects")]


def _check(items: list[Any]) -> JSONResponse | None:
    if not items:
        return mds_error(400, "bad_param", "the body must be a non-empty JSON array", ["body"])
    return None


def _bulk(answer: agency.BulkAnswer) -> JSONResponse:
    return JSONResponse(answer.body(), status_code=answer.status, media_type=MEDIA_TYPE)


@router.post("/vehicles")
def register_vehicles(db: DbSession, scope: CurrentScope, items: Items) -> Response:
    """Register vehicles (MDS ``POST /vehicles``)."""
    refused = _check(items)
    if refused is not None:
        return refused
    return _bulk(agency.register_vehicles(db, scope=scope, items=items, now=utcnow()))


@router.put("/vehicles")
def update_vehicles(db: DbSession, scope: CurrentScope, items: Items) -> Response:
    """Change registered vehicles (MDS ``PUT /vehicles``)."""
    refused = _check(items)
    if refused is not None:
        return refused
    return _bulk(agency.update_vehicles(db, scope=scope, items=items, now=utcnow()))


@router.get("/vehicles")
def list_vehicles(request: Request, db: DbSession, scope: CurrentScope, paging: Paging) -> Response:
    """The caller's registered vehicles, paged with JSON:API links (MDS ``GET /vehicles``)."""
    company = agency.company_of(db, scope)
    vehicles, total = agency.list_vehicles(db, scope=scope, offset=paging.offset, limit=paging.size)
    last = max(1, -(-total // paging.size))

    def link(page: int) -> str:
        return str(request.url.include_query_params(page=page, size=paging.size))

    body = {
        "version": VERSION,
        "vehicles": [agency.vehicle_json(v, company) for v in vehicles],
        "links": {
            "first": link(1),
            "last": link(last),
            "prev": link(paging.page - 1) if paging.page > 1 else None,
            "next": link(paging.page + 1) if paging.page < last else None,
        },
    }
    return JSONResponse(body, media_type=MEDIA_TYPE)


@router.get("/vehicles/{device_id}")
def read_vehicle(db: DbSession, scope: CurrentScope, device_id: str) -> Response:
    """One of the caller's registered vehicles (MDS ``GET /vehicles/{device_id}``)."""
    company: Company = agency.company_of(db, scope)
    vehicle = agency.get_vehicle(db, scope=scope, device_id=device_id)
    if vehicle is None:
        raise NotFound(f"no registered vehicle {device_id[:64]!r}")
    body = {"version": VERSION, "vehicles": [agency.vehicle_json(vehicle, company)]}
    return JSONResponse(body, media_type=MEDIA_TYPE)


def _events(db: DbSession, scope: CurrentScope, items: Items) -> Response:
    """Vehicle events (MDS ``POST /events``)."""
    refused = _check(items)
    if refused is not None:
        return refused
    return _bulk(agency.post_events(db, scope=scope, items=items, now=utcnow()))


def _telemetry(db: DbSession, scope: CurrentScope, items: Items) -> Response:
    """Vehicle telemetry (MDS ``POST /telemetry``)."""
    refused = _check(items)
    if refused is not None:
        return refused
    return _bulk(agency.post_telemetry(db, scope=scope, items=items, now=utcnow()))


@router.post("/trips")
def post_trips(db: DbSession, scope: CurrentScope, items: Items) -> Response:
    """Finished trips (MDS ``POST /trips``)."""
    refused = _check(items)
    if refused is not None:
        return refused
    return _bulk(agency.post_trips(db, scope=scope, items=items, now=utcnow()))


# The MDS 2.0 paths, and the ``vehicles/…`` spellings (MDS 0.x–1.x habit) some companies use.
for _path, _name, _endpoint in (
    ("/events", "post_events", _events),
    ("/vehicles/events", "post_vehicle_events", _events),
    ("/telemetry", "post_telemetry", _telemetry),
    ("/vehicles/telemetry", "post_vehicle_telemetry", _telemetry),
):
    router.add_api_route(_path, _endpoint, methods=["POST"], name=_name)
