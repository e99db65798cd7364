"""The damage story of issue 5, through real HTTP and the worker's jobs: a scout reports a damaged
scooter from the street with the scout app's API; the intake hands it to its company, which sees
it in its portal and receives it, signed, at its webhook; the company acknowledges through the API
with its token and collects through its portal, and its webhook hears of each step."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.core.jobs import REGISTRY, JobContext
from tartip.damage.models import Handover
from tartip.feeds.http import make_client
from tartip.settings import Settings
from tests import builders
from tests.damage.helpers import CENTRE, account, hook, receiver
from tests.ops.helpers import jpeg_with_gps


@pytest.fixture
def http(settings: Settings) -> Iterator[httpx.Client]:
    client = make_client(settings)
    yield client
    client.close()


def bearer(db: Session, user: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}  # type: ignore[arg-type]


def csrf_of(client: TestClient, path: str) -> str:
    page = client.get(path)
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_a_scouts_report_reaches_the_company_which_acknowledges_and_collects(
    app_client: TestClient, db: Session, city: City, settings: Settings, http: httpx.Client
):
    jet = builders.company(db, city, "jet")
    feed = builders.make_feed(db, jet)
    builders.make_vehicle(db, feed, vehicle_id="JET-4711", lon=CENTRE[0], lat=CENTRE[1])
    scout = bearer(db, account(db, city, username="story-scout", role=Role.scout))
    builders.make_user(db, city, username="story-jet", role=Role.company_rep, company_slug="jet")
    jet_token = bearer(db, account(db, city, username="jet-system", role=Role.company_rep,
                                   company="jet"))  # fmt: skip
    ctx = JobContext(settings=settings, http=http)
    with receiver() as company_server:
        endpoint = hook(db, jet, company_server.url)

        # The scout photographs the scooter and reports it from the street.
        photo = app_client.post(
            "/api/v1/ops/photos",
            data={"client_id": str(uuid.uuid4()), "stage": "damage"},
            files={"file": ("wheel.jpg", jpeg_with_gps(), "image/jpeg")},
            headers=scout,
        )
        assert photo.status_code == 201, photo.text
        report = app_client.post(
            "/api/v1/ops/damage-reports",
            json={"client_id": str(uuid.uuid4()), "code": "JET-4711", "kind": "broken",
                  "description": "Переднее колесо погнуто", "lon": CENTRE[0],
                  "lat": CENTRE[1], "photo_id": photo.json()["id"]},
            headers=scout,
        )  # fmt: skip
        assert report.status_code == 201, report.text
        REGISTRY["damage.intake"].run(ctx, db, city)
        handover = db.scalars(select(Handover)).one()
        assert handover.company_id == jet.id and handover.status == "handed_over"

        # The company sees it in its portal, with the photo.
        builders.login(app_client, "story-jet")
        listed = app_client.get("/portal/handovers")
        assert listed.status_code == 200 and handover.reference in listed.text
        shown = app_client.get(f"/portal/handovers/{handover.id}")
        assert "JET-4711" in shown.text and "/api/v1/damage/photos/" in shown.text

        # ... and at its webhook, signed with its secret.
        REGISTRY["damage.deliver"].run(ctx, db, city)
        first = company_server.received[-1]
        assert first.headers["x-tartip-event"] == "damage.handed_over"
        stamp, mac = first.headers["x-tartip-signature"].removeprefix("t=").split(",v1=")
        expected = hmac.new(
            endpoint.secret.encode(), f"{stamp}.".encode() + first.body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(mac, expected)
        data = first.json()["data"]
        assert (data["reference"], data["vehicle_id"], data["company"]) == (
            handover.reference, "JET-4711", "jet",
        )  # fmt: skip
        assert data["photos"] and data["photos"][0].startswith("http")
        # The photo's absolute URL opens with the company's token.
        got = app_client.get(urlsplit(data["photos"][0]).path, headers=jet_token)
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"

        # The company's system acknowledges with its token; its staff collect in the portal.
        acked = app_client.post(
            f"/api/v1/damage/handovers/{handover.id}/acknowledge",
            json={"note": "crew on the way"}, headers=jet_token,
        )  # fmt: skip
        assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
        REGISTRY["damage.deliver"].run(ctx, db, city)  # the job runs every 2 s
        token = csrf_of(app_client, f"/portal/handovers/{handover.id}")
        collected = app_client.post(
            f"/portal/handovers/{handover.id}/collect",
            data={"csrf_token": token, "note": ""}, follow_redirects=False,
        )  # fmt: skip
        assert collected.status_code == 303, collected.text
        assert handover.status == "collected" and handover.collected_via == "portal"
        assert handover.acknowledged_at is not None and handover.collected_at is not None

        REGISTRY["damage.deliver"].run(ctx, db, city)
        updates = [r.json()["data"]["status"] for r in company_server.received[1:]]
        assert updates == ["acknowledged", "collected"]
        assert all(
            r.headers["x-tartip-event"] == "damage.updated" for r in company_server.received[1:]
        )
