"""Signing in, tokens and the audit trail, through the real app on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.audit import service as audit_service
from tartip.auth.enums import Role
from tartip.auth.models import ApiToken
from tartip.auth.schemas import TokenCreated, UserRead
from tartip.cities.models import City
from tests import builders


def test_login_with_the_wrong_password_is_refused(app_client: TestClient, db: Session, city: City):
    builders.make_user(db, city, username="sup1", role=Role.supervisor)
    page = app_client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = app_client.post(
        "/login", data={"username": "sup1", "password": "nope-nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert app_client.get("/api/v1/me").status_code == 401


def test_login_form_without_csrf_token_is_refused(app_client: TestClient, db: Session, city: City):
    builders.make_user(db, city, username="sup2", role=Role.supervisor)
    app_client.get("/login")
    response = app_client.post(
        "/login", data={"username": "sup2", "password": builders.PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "CSRF" in response.text


def test_session_cookie_is_http_only(app_client: TestClient, db: Session, city: City):
    builders.make_user(db, city, username="sup3", role=Role.supervisor)
    builders.login(app_client, "sup3")
    me = app_client.get("/api/v1/me")
    assert me.status_code == 200
    assert UserRead.model_validate(me.json()).username == "sup3"


def test_api_token_is_created_used_and_revoked_with_audit(
    app_client: TestClient, db: Session, city: City
):
    builders.make_user(db, city, username="sup4", role=Role.supervisor)
    builders.login(app_client, "sup4")
    csrf = app_client.cookies  # the session carries the CSRF token; the API wants it in a header
    page = app_client.get("/login")
    token = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    assert csrf
    created = app_client.post(
        "/api/v1/me/tokens", json={"name": "dashboard"}, headers={"X-CSRF-Token": token}
    )
    assert created.status_code == 201, created.text
    secret = TokenCreated.model_validate(created.json()).token

    machine = TestClient(app_client.app)
    assert (
        machine.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    # A read records the token's use once its answer is made.
    used = db.get(ApiToken, created.json()["id"])
    assert used is not None
    db.refresh(used)
    assert used.last_used_at is not None
    revoked = machine.delete(
        f"/api/v1/me/tokens/{created.json()['id']}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert revoked.status_code == 200
    again = machine.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert again.status_code == 401
    actions = [e.action for e in audit_service.list_entries(db, city_id=city.id)]
    assert "api_token.create" in actions and "api_token.revoke" in actions


def test_unsafe_api_call_on_session_without_csrf_header_is_refused(
    app_client: TestClient, db: Session, city: City
):
    builders.make_user(db, city, username="sup5", role=Role.supervisor)
    builders.login(app_client, "sup5")
    response = app_client.post("/api/v1/me/tokens", json={"name": "x"})
    assert response.status_code == 403


def test_only_admins_create_users(app_client: TestClient, db: Session, city: City):
    scout = builders.make_user(db, city, username="scout1", role=Role.scout)
    admin = builders.make_user(db, city, username="admin1", role=Role.admin)
    body = {"username": "newbie", "password": "long enough pw", "role": "scout"}
    as_scout = app_client.post(
        "/api/v1/users",
        json=body,
        headers={"Authorization": f"Bearer {builders.token_for(db, scout)}"},
    )
    assert as_scout.status_code == 403
    as_admin = app_client.post(
        "/api/v1/users",
        json=body,
        headers={"Authorization": f"Bearer {builders.token_for(db, admin)}"},
    )
    assert as_admin.status_code == 201, as_admin.text
    entries = audit_service.list_entries(db, city_id=city.id, entity_type="user")
    assert entries[0].action == "user.create" and entries[0].actor == "admin1"
