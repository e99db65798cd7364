"""The open endpoints that publish the city's rules to the companies in their own standards.

No sign-in: the rules are public information (MDS 2.0 says Policy and Geography "should be made
public"), and a citizen may want to know where parking is forbidden. GBFS ``geofencing_zones``
2.3 and 3.0 give the rules active now; MDS Geography and Policy give every published version.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.errors import NotFound, TartipError
from tartip.core.schemas import ErrorBody
from tartip.deps import DbSession, SettingsDep
from tartip.zones import gbfs, mds
from tartip.zones import service as zones_service

router = APIRouter(
    prefix="/rules",
    tags=["rules"],
    responses={
        404: {"model": ErrorBody, "description": "No such geography or policy"},
        406: {"model": ErrorBody, "description": "MDS version in Accept header is not 2.0"},
    },
)
SUPPORTED_MDS = ("2.0",)
MDS_CONTENT_TYPE = f"{mds.MEDIA_TYPE};version=2.0"
GBFS_HELP = "Only rules binding this company (slug); default: every rule"
MDS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {MDS_CONTENT_TYPE: {}}, "description": "An MDS 2.0 document"}
}


class NotAcceptable(TartipError):
    """The client asked for an MDS version this server does not speak."""

    status_code = 406
    code = "not_acceptable"


def get_city(db: DbSession, settings: SettingsDep) -> City:
    """The city whose rules are published."""
    return cities_service.get_by_slug_or_raise(db, slug=settings.default_city)


PublicCity = Annotated[City, Depends(get_city)]


def mds_version(
    accept: Annotated[
        str | None, Header(description="application/vnd.mds+json;version=2.0")
    ] = None,
) -> str:
    """The MDS version asked for: 2.0, or 406 (no MDS media type at all is served 2.0)."""
    version = mds.parse_accept(accept)
    if version is None or version in SUPPORTED_MDS:
        return "2.0"
    raise NotAcceptable(f"MDS version {version or '(none given)'} is not supported; ask for 2.0")


MdsVersion = Annotated[str, Depends(mds_version)]


def _company_id(db: Session, city: City, slug: str | None) -> int | None:
    if slug is None:
        return None
    company = cities_service.get_company(db, city_id=city.id, slug=slug)
    if company is None:
        raise NotFound(f"no company {slug!r}")
    return company.id


def _geofencing(
    db: Session, city: City, version: gbfs.GbfsVersion, company: str | None
) -> dict[str, Any]:
    now = utcnow()
    rules = zones_service.in_force(db, city_id=city.id, at=now)
    return gbfs.geofencing_zones(
        rules,
        version=version,
        at=now,
        language=city.default_locale,
        company_id=_company_id(db, city, company),
    )


@router.get("/gbfs/2.3/geofencing_zones.json")
def gbfs_geofencing_v23(
    db: DbSession,
    city: PublicCity,
    company: Annotated[str | None, Query(description=GBFS_HELP)] = None,
) -> dict[str, Any]:
    """The rules active now as GBFS 2.3 ``geofencing_zones.json``."""
    return _geofencing(db, city, "2.3", company)


@router.get("/gbfs/3.0/geofencing_zones.json")
def gbfs_geofencing_v30(
    db: DbSession,
    city: PublicCity,
    company: Annotated[str | None, Query(description=GBFS_HELP)] = None,
) -> dict[str, Any]:
    """The rules active now as GBFS 3.0 ``geofencing_zones.json`` (earlier zones win)."""
    return _geofencing(db, city, "3.0", company)


def _publication(db: Session, city: City) -> mds.Publication:
    versions = zones_service.list_published_versions(db, city_id=city.id)
    rules = [zones_service.to_rule(v, timezone=city.timezone) for v in versions]
    providers = {
        c.id: c.mds_provider_id or mds.derived_id("provider", city.slug, c.slug)
        for c in cities_service.list_companies(db, city_id=city.id)
    }
    return mds.Publication(versions=rules, provider_ids=providers)


def _mds(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"version": mds.MDS_VERSION, **body}, media_type=MDS_CONTENT_TYPE)


@router.get("/mds/geographies", responses=MDS_RESPONSE)
def mds_geographies(db: DbSession, city: PublicCity, _v: MdsVersion) -> JSONResponse:
    """Every published zone version as an MDS 2.0 Geography (immutable, with predecessors)."""
    return _mds(
        {"last_updated": mds.ms(utcnow()), "geographies": mds.geographies(_publication(db, city))}
    )


@router.get("/mds/geographies.json", responses=MDS_RESPONSE)
def mds_geographies_file(db: DbSession, city: PublicCity, _v: MdsVersion) -> JSONResponse:
    """MDS 2.0 ``geographies.json``: the same as ``/geographies``, as one file."""
    return mds_geographies(db, city, _v)


@router.get("/mds/geographies/{geography_id}", responses=MDS_RESPONSE)
def mds_geography(
    db: DbSession, city: PublicCity, _v: MdsVersion, geography_id: str
) -> JSONResponse:
    """One MDS 2.0 Geography by its id."""
    for item in mds.geographies(_publication(db, city)):
        if item["geography_id"] == geography_id:
            return _mds({"geography": item})
    raise NotFound(f"no geography {geography_id}")


@router.get("/mds/policies", responses=MDS_RESPONSE)
def mds_policies(
    db: DbSession,
    city: PublicCity,
    _v: MdsVersion,
    start_date: Annotated[int | None, Query(description="ms; default: now")] = None,
    end_date: Annotated[int | None, Query(description="ms; default: open")] = None,
) -> JSONResponse:
    """MDS 2.0 policies effective in ``[start_date, end_date]`` (default: now and later)."""
    start = start_date if start_date is not None else mds.ms(utcnow())
    items = [
        p
        for p in mds.policies(_publication(db, city))
        if mds.overlaps(p, start=start, end=end_date)
    ]
    return _mds({"last_updated": mds.ms(utcnow()), "policies": items})


@router.get("/mds/policies.json", responses=MDS_RESPONSE)
def mds_policies_file(db: DbSession, city: PublicCity, _v: MdsVersion) -> JSONResponse:
    """MDS 2.0 ``policies.json``: every policy ever published, current or not."""
    return _mds(
        {"last_updated": mds.ms(utcnow()), "policies": mds.policies(_publication(db, city))}
    )


@router.get("/mds/policies/{policy_id}", responses=MDS_RESPONSE)
def mds_policy(db: DbSession, city: PublicCity, _v: MdsVersion, policy_id: str) -> JSONResponse:
    """One MDS 2.0 policy by its id."""
    for item in mds.policies(_publication(db, city)):
        if item["policy_id"] == policy_id:
            return _mds({"last_updated": mds.ms(utcnow()), "policies": [item]})
    raise NotFound(f"no policy {policy_id}")
