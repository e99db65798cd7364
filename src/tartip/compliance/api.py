"""The JSON API of compliance: violations as GeoJSON, thresholds, duty board, rule adoption."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from pydantic import AwareDatetime

from tartip.compliance import adoption, service
from tartip.compliance.enums import ViolationKind
from tartip.compliance.schemas import (
    CompanyAdoptionRead,
    DutyZoneRead,
    ThresholdOverrideRead,
    ThresholdsRead,
    ViolationFeature,
    ViolationFeatureCollection,
)
from tartip.core.errors import InvalidInput, Problem
from tartip.core.schemas import ErrorBody
from tartip.deps import CurrentScope, DbSession, Paging

router = APIRouter(
    tags=["compliance"],
    responses={
        401: {"model": ErrorBody, "description": "No session and no valid API token"},
        403: {"model": ErrorBody, "description": "The caller's role may not do this"},
        404: {"model": ErrorBody, "description": "Not found, or outside the caller's scope"},
        422: {"model": ErrorBody, "description": "A parameter is not valid"},
    },
)


def get_violation_filter(
    zone: Annotated[int | None, Query(description="Zone id")] = None,
    company: Annotated[list[str] | None, Query(description="Company slugs; repeatable")] = None,
    kind: Annotated[list[ViolationKind] | None, Query(description="Kinds; repeatable")] = None,
    state: Annotated[
        Literal["open", "closed", "all"] | None,
        Query(description="open (default), closed or all; closed when closed_since is given"),
    ] = None,
    closed_since: Annotated[
        AwareDatetime | None,
        Query(description="Closed at or after this moment (ISO 8601 with offset)"),
    ] = None,
) -> service.ViolationFilter:
    """The violation filters of a request."""
    if state is None:
        state = "open" if closed_since is None else "closed"
    elif state == "open" and closed_since is not None:
        # An open violation has not closed: the answer would always be empty, say why instead.
        raise InvalidInput(
            "closed_since asks for closed violations: give state closed or all, or leave it out",
            problems=[Problem(where="query.state", message="open does not go with closed_since")],
        )
    return service.ViolationFilter(
        zone_id=zone,
        companies=tuple(company or ()),
        kinds=tuple(kind or ()),
        open={"open": True, "closed": False, "all": None}[state],
        closed_since=closed_since,
    )


Filters = Annotated[service.ViolationFilter, Depends(get_violation_filter)]


@router.get("/violations", response_model=ViolationFeatureCollection)
def list_violations(
    db: DbSession, scope: CurrentScope, paging: Paging, filters: Filters
) -> ViolationFeatureCollection:
    """Violations in the caller's scope matching the filters, newest first, as GeoJSON."""
    found = service.list_violations(
        db, scope=scope, filters=filters, offset=paging.offset, limit=paging.size
    )
    return ViolationFeatureCollection(
        features=[ViolationFeature.from_row(r) for r in found.rows],
        total=found.total,
        page=paging.page,
        size=paging.size,
    )


@router.get("/violations/{violation_id}", response_model=ViolationFeature)
def read_violation(db: DbSession, scope: CurrentScope, violation_id: int) -> ViolationFeature:
    """One violation with its evidence (404 outside the caller's scope)."""
    return ViolationFeature.from_row(
        service.get_or_raise(db, scope=scope, violation_id=violation_id)
    )


@router.get("/duty-zones/board", response_model=list[DutyZoneRead])
def read_duty_board(
    db: DbSession,
    scope: CurrentScope,
    hours: Annotated[float, Query(gt=0, le=48, description="Hours of trend")] = 6.0,
) -> list[DutyZoneRead]:
    """Each duty zone's load now, its open violations and its trend (operator staff only)."""
    return [DutyZoneRead.from_status(s) for s in service.duty_board(db, scope=scope, hours=hours)]


@router.get("/rule-adoption", response_model=list[CompanyAdoptionRead])
def read_rule_adoption(db: DbSession, scope: CurrentScope) -> list[CompanyAdoptionRead]:
    """Which city rules each company enforces in its app (a representative sees their own)."""
    return [CompanyAdoptionRead.from_adoption(a) for a in adoption.rule_adoption(db, scope=scope)]


@router.get("/compliance/thresholds", response_model=ThresholdsRead)
def read_thresholds(db: DbSession, scope: CurrentScope) -> ThresholdsRead:
    """The detection thresholds: defaults and the city's overrides (operator staff only)."""
    return ThresholdsRead.from_settings(service.list_thresholds(db, scope=scope))


@router.put("/compliance/thresholds/{level}", response_model=ThresholdOverrideRead)
def set_thresholds(
    db: DbSession,
    scope: CurrentScope,
    level: str,
    values: Annotated[dict[str, Any], Body(description="Only the thresholds to change")],
) -> ThresholdOverrideRead:
    """Set the city's thresholds for ``city``, ``kind:<zone kind>`` or ``zone:<id>``."""
    row = service.set_thresholds(db, scope=scope, level=level, values=values)
    return ThresholdOverrideRead.model_validate(row)
