"""The live Almaty demo: the simulator's three fleets, ingested, on the map, with demo users."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.auth.schemas import UserCreate
from tartip.cities import service as cities_service
from tartip.cities.models import City
from tartip.complaints.demo import seed_demo_complaints
from tartip.damage.demo import seed_demo_damage
from tartip.events import service as events_service
from tartip.feeds import mds_provider
from tartip.feeds import service as feeds_service
from tartip.feeds.enums import FeedAuth
from tartip.feeds.models import Feed
from tartip.ops.demo import seed_demo_staff
from tartip.zones.demo import seed_demo_zones

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoUser:
    """A demo account, printed at start so anyone can try each role."""

    username: str
    password: str
    role: Role
    full_name: str
    company_slug: str | None = None


DEMO_USERS = (
    DemoUser("admin", "admin-demo-1", Role.admin, "Демо администратор"),
    DemoUser("supervisor", "supervisor-demo-1", Role.supervisor, "Айгерим Супервайзер"),
    DemoUser("scout", "scout-demo-1", Role.scout, "Нурлан Скаут"),
    DemoUser("technician", "technician-demo-1", Role.technician, "Ержан Техник"),
    DemoUser("city", "city-demo-1", Role.city_viewer, "Управление городской мобильности"),
    DemoUser("jet", "jet-demo-1", Role.company_rep, "Jet representative", "jet"),
    DemoUser("yandex", "yandex-demo-1", Role.company_rep, "Yandex Go representative", "yandex-go"),
    DemoUser("whoosh", "whoosh-demo-1", Role.company_rep, "Whoosh representative", "whoosh"),
    # Outside bodies that file complaints through the API (tokens from /account).
    DemoUser("akimat", "akimat-demo-1", Role.government, "Акимат: система обращений"),
    DemoUser("police", "police-demo-1", Role.police, "Департамент полиции"),
)

# Which GBFS version the demo reads from each simulated company: both versions stay exercised.
DEMO_FEED_VERSIONS = {"jet": "2.3", "yandex-go": "3.0", "whoosh": "2.3"}


def seed_city(db: Session, city: City, *, simulator_base: str) -> None:
    """Everything the demo shows: people, the simulator's feeds, zones and a stadium event."""
    seed_users(db, city)
    seed_feeds(db, city, simulator_base)
    seed_demo_zones(db, city)
    events_service.seed_demo_event(db, city)
    seed_demo_staff(db, city)
    seed_demo_damage(db, city, simulator_base=simulator_base)
    seed_demo_complaints(db, city)


def seed_users(db: Session, city: City) -> None:
    """Create the demo users that are missing."""
    for u in DEMO_USERS:
        if auth_service.get_by_username(db, username=u.username) is None:
            data = UserCreate(
                username=u.username,
                password=u.password,
                role=u.role,
                full_name=u.full_name,
                company_slug=u.company_slug,
            )
            auth_service.create(db, scope=None, city=city, data=data)


def feed_url(simulator_base: str, company_slug: str) -> str:
    """The simulator's discovery URL for a company's feed."""
    version = DEMO_FEED_VERSIONS[company_slug]
    return f"{simulator_base}/{company_slug}/gbfs/{version}/gbfs.json"


def seed_feeds(db: Session, city: City, simulator_base: str) -> list[Feed]:
    """Point each company's feed at the simulator (re-pointed when the port changed)."""
    feeds = []
    for company in cities_service.list_companies(db, city_id=city.id):
        feeds.append(
            feeds_service.ensure_feed(
                db,
                city_id=city.id,
                company_id=company.id,
                url=feed_url(simulator_base, company.slug),
            )
        )
    return feeds


# MDS in the demo (the simulator's documented credentials, docs/simulator.md): Tartip pulls Jet by
# MDS Provider 2.0 with a bearer token and Yandex Go by 1.2 with OAuth client credentials; Whoosh
# pushes to Tartip's Agency API with a token made here and handed to the simulator.
DEMO_MDS_PULL = {"jet": "2.0", "yandex-go": "1.2"}
DEMO_MDS_PUSH = ("whoosh",)
AGENCY_TOKEN_NAME = "Demo MDS Agency push"


def mds_auth(simulator_base: str, company_slug: str) -> mds_provider.MdsAuth:
    """How Tartip signs in to the simulated company's Provider API."""
    if DEMO_MDS_PULL[company_slug] == "1.2":
        return mds_provider.MdsAuth(
            kind=FeedAuth.oauth,
            client_id="tartip",
            client_secret=f"tartip-sim-{company_slug}-secret",
            token_url=f"{simulator_base}/{company_slug}/oauth/token",
        )
    return mds_provider.MdsAuth(kind=FeedAuth.bearer, token=f"tartip-sim-{company_slug}-token")


def seed_mds(db: Session, city: City, *, simulator_base: str) -> dict[str, str]:
    """Provider feeds for the pulled companies, and a fresh Agency token per pushing company.

    Returns ``{company slug: token}`` for the simulator (``connect_simulator``); a pushing
    company's older demo tokens are revoked.
    """
    for slug, version in DEMO_MDS_PULL.items():
        company = cities_service.get_company(db, city_id=city.id, slug=slug)
        if company is not None:
            mds_provider.ensure(
                db,
                city_id=city.id,
                company_id=company.id,
                url=f"{simulator_base}/{slug}/mds/",
                version=version,
                auth=mds_auth(simulator_base, slug),
            )
    tokens = {}
    for user in DEMO_USERS:
        if user.company_slug not in DEMO_MDS_PUSH:
            continue
        account = auth_service.get_by_username(db, username=user.username)
        if account is None:
            continue
        scope = auth_service.scope_for(account, default_city_id=city.id)
        for old in auth_service.list_tokens(db, user_id=account.id):
            if old.name == AGENCY_TOKEN_NAME and old.revoked_at is None:
                auth_service.revoke_token(db, scope=scope, token_id=old.id)
        _token, secret = auth_service.create_token(
            db, scope=scope, user=account, name=AGENCY_TOKEN_NAME
        )
        tokens[user.company_slug] = secret
    return tokens


def connect_simulator(
    simulator_base: str, *, tartip_url: str, agency_tokens: dict[str, str]
) -> None:
    """Tell the simulator where Tartip is and which companies push, with their tokens."""
    body = {
        "tartip_url": tartip_url,
        "companies": {slug: {"tartip_token": t, "push": True} for slug, t in agency_tokens.items()},
    }
    response = httpx.post(f"{simulator_base}/_control/config", json=body, timeout=10)
    if response.status_code >= 400:
        log.warning("the simulator refused its Agency settings: %s", response.text[:300])


def start_simulator(*, host: str, port: int, vehicles: int, seed: int) -> subprocess.Popen[bytes]:
    """Start ``tartip simulate`` as its own process and wait until it answers."""
    command = [
        sys.executable, "-m", "tartip", "simulate",
        "--host", host, "--port", str(port), "--vehicles", str(vehicles), "--seed", str(seed),
    ]  # fmt: skip
    process = subprocess.Popen(command)
    url = f"http://{host}:{port}/gbfs/3.0/manifest.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the simulator exited with status {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"the simulator did not answer at {url} within 60 s")
