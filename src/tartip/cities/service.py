"""Use cases for cities and their sharing companies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import shapely
from shapely.geometry import MultiPolygon
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.cities import districts
from tartip.cities.models import City, Company
from tartip.core.errors import NotFound


@dataclass(frozen=True)
class CompanySeed:
    """A sharing company to create in a seeded city."""

    slug: str
    name: str
    colour: str


ALMATY_COMPANIES = (
    CompanySeed("jet", "Jet", "#e6194b"),
    CompanySeed("yandex-go", "Yandex Go", "#f5b800"),
    CompanySeed("whoosh", "Whoosh", "#3cb44b"),
)


def get(db: Session, *, city_id: int) -> City | None:
    """The city with this id."""
    return db.get(City, city_id)


def get_by_slug(db: Session, *, slug: str) -> City | None:
    """The city with this slug."""
    return db.scalars(select(City).where(City.slug == slug)).first()


def get_by_slug_or_raise(db: Session, *, slug: str) -> City:
    """The city with this slug, or ``NotFound``."""
    city = get_by_slug(db, slug=slug)
    if city is None:
        raise NotFound(f"no city {slug!r}")
    return city


def list_cities(db: Session) -> list[City]:
    """Every city, by name."""
    return list(db.scalars(select(City).order_by(City.name)))


def list_companies(db: Session, *, city_id: int) -> list[Company]:
    """The sharing companies of a city, by name."""
    return list(
        db.scalars(select(Company).where(Company.city_id == city_id).order_by(Company.name))
    )


def get_company(db: Session, *, city_id: int, slug: str) -> Company | None:
    """A city's company by slug."""
    stmt = select(Company).where(Company.city_id == city_id, Company.slug == slug)
    return db.scalars(stmt).first()


def almaty_boundary() -> MultiPolygon:
    """Almaty's city border (OSM relation 2465058, ODbL) from the shipped data."""
    path = resources.files("tartip") / "data/almaty/boundaries/almaty_city_boundary.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    geom = shapely.geometry.shape(collection["features"][0]["geometry"])
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def seed_almaty(db: Session) -> City:
    """Create Almaty, its three sharing companies and 8 districts if missing; return the city."""
    city = get_by_slug(db, slug="almaty")
    if city is None:
        city = City(
            slug="almaty",
            name="Almaty",
            timezone="Asia/Almaty",
            default_locale="ru",
            boundary=almaty_boundary(),
            center_lon=76.9286,
            center_lat=43.2567,
        )
        db.add(city)
        db.flush()
    for seed in ALMATY_COMPANIES:
        if get_company(db, city_id=city.id, slug=seed.slug) is None:
            db.add(Company(city_id=city.id, slug=seed.slug, name=seed.name, colour=seed.colour))
    db.flush()
    districts.seed(db, city_id=city.id, seeds=districts.read_seeds(districts.ALMATY_DISTRICTS))
    return city
