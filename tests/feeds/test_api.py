"""The feeds API and the feed-health page, through the real app on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.cities.models import City
from tartip.core.clock import utcnow
from tartip.core.jobs import JobContext
from tartip.feeds import service
from tartip.feeds.enums import FeedHealth
from tartip.feeds.schemas import FeedPullRead, FeedRead
from tests import builders
from tests.feeds.conftest import FakeServer, add_feed


def _auth(
    db: Session, city: City, username: str, role: Role, company: str | None = None
) -> dict[str, str]:
    user = builders.make_user(db, city, username=username, role=role, company_slug=company)
    return {"Authorization": f"Bearer {builders.token_for(db, user)}"}


def test_a_company_representative_sees_only_their_own_feeds(
    app_client: TestClient, db: Session, city: City
):
    jet = add_feed(db, builders.company(db, city, "jet"), "https://jet.test/gbfs.json")
    whoosh = add_feed(db, builders.company(db, city, "whoosh"), "https://whoosh.test/gbfs.json")
    headers = _auth(db, city, "jet-rep", Role.company_rep, "jet")

    listed = app_client.get("/api/v1/feeds", headers=headers)
    assert listed.status_code == 200
    assert listed.headers["content-type"] == "application/json"
    assert [FeedRead.model_validate(f).id for f in listed.json()] == [jet.id]
    assert app_client.get(f"/api/v1/feeds/{jet.id}", headers=headers).status_code == 200
    for path in (f"/api/v1/feeds/{whoosh.id}", f"/api/v1/feeds/{whoosh.id}/pulls"):
        hidden = app_client.get(path, headers=headers)
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "not_found"
    asked = app_client.get(f"/api/v1/feeds?company_id={whoosh.company_id}", headers=headers)
    assert asked.json() == []


def test_supervisors_register_and_switch_feeds_scouts_may_not(
    app_client: TestClient, db: Session, city: City
):
    company = builders.company(db, city, "yandex-go")
    body = {
        "company_id": company.id,
        "url": "https://yandex.test/gbfs/3.0/gbfs.json",
        "language": "ru",
    }
    scout = _auth(db, city, "scout-a", Role.scout)
    assert app_client.post("/api/v1/feeds", json=body, headers=scout).status_code == 403

    supervisor = _auth(db, city, "sup-a", Role.supervisor)
    created = app_client.post("/api/v1/feeds", json=body, headers=supervisor)
    assert created.status_code == 201, created.text
    feed = FeedRead.model_validate(created.json())
    assert (feed.url, feed.language, feed.health, feed.enabled) == (
        body["url"],
        "ru",
        FeedHealth.unknown,
        True,
    )

    again = app_client.post("/api/v1/feeds", json=body, headers=supervisor)
    assert again.status_code == 409
    bad = app_client.post(
        "/api/v1/feeds", json={**body, "url": "ftp://x.test/gbfs"}, headers=supervisor
    )
    assert bad.status_code == 422 and bad.json()["problems"][0]["where"] == "url"

    off = app_client.patch(f"/api/v1/feeds/{feed.id}", json={"enabled": False}, headers=supervisor)
    assert off.status_code == 200 and FeedRead.model_validate(off.json()).enabled is False
    assert (
        app_client.patch(
            f"/api/v1/feeds/{feed.id}", json={"enabled": True}, headers=scout
        ).status_code
        == 403
    )


def test_pulls_are_listed_newest_first_with_their_problems(
    app_client: TestClient, db: Session, city: City, ctx: JobContext, server: FakeServer
):
    feed = add_feed(
        db, builders.company(db, city, "jet"), server.url("almaty-v2.3/free_bike_status.json")
    )
    service.poll(db, ctx=ctx, feed=feed, now=utcnow())
    headers = _auth(db, city, "scout-b", Role.scout)
    response = app_client.get(f"/api/v1/feeds/{feed.id}/pulls?limit=5", headers=headers)
    assert response.status_code == 200
    (pull,) = [FeedPullRead.model_validate(p) for p in response.json()]
    assert (pull.file, pull.records, pull.records_rejected) == ("free_bike_status", 9, 5)
    assert any(p.where == "data.bikes[3].lat" for p in pull.problems)


def test_the_feed_health_page_shows_each_feed(
    app_client: TestClient, db: Session, city: City, ctx: JobContext, server: FakeServer
):
    feed = add_feed(
        db, builders.company(db, city, "whoosh"), server.url("almaty-v2.3/free_bike_status.json")
    )
    service.poll(db, ctx=ctx, feed=feed, now=utcnow())
    builders.make_user(db, city, username="sup-page", role=Role.supervisor)
    builders.login(app_client, "sup-page")
    page = app_client.get("/feeds")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'data-testid="feeds-table"' in html
    assert "Whoosh" in html and feed.url in html
    assert 'class="badge health-stale"' in html  # the fixture's data is from 2025
    assert "latitude 95.0 is outside -90…90" in html


def test_the_feed_health_page_asks_to_sign_in(app_client: TestClient):
    response = app_client.get("/feeds", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
