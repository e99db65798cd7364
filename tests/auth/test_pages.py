"""The account, people and audit pages, through the real app on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tartip.auth import service as auth_service
from tartip.auth.enums import Role
from tartip.cities.models import City
from tests import builders


def _csrf(client: TestClient, path: str) -> str:
    return client.get(path).text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def test_a_person_creates_and_revokes_a_token_on_their_account_page(
    app_client: TestClient, db: Session, city: City
):
    user = builders.make_user(db, city, username="acct1", role=Role.supervisor)
    builders.login(app_client, "acct1")
    token = _csrf(app_client, "/account")
    page = app_client.post("/account/tokens", data={"name": "wall screen", "csrf_token": token})
    assert page.status_code == 200
    secret = page.text.split('data-testid="new-token">', 1)[1].split("<", 1)[0]
    assert auth_service.user_for_token(db, token=secret).id == user.id
    [made] = auth_service.list_tokens(db, user_id=user.id)
    revoked = app_client.post(
        f"/account/tokens/{made.id}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert auth_service.user_for_token(db, token=secret) is None


def test_an_admin_adds_a_company_representative_and_the_audit_log_shows_it(
    app_client: TestClient, db: Session, city: City
):
    builders.make_user(db, city, username="boss", role=Role.admin)
    builders.login(app_client, "boss")
    token = _csrf(app_client, "/admin/users")
    form = {
        "username": "jet-rep",
        "password": "long enough pw",
        "role": "company_rep",
        "company_slug": "jet",
        "csrf_token": token,
    }
    added = app_client.post("/admin/users", data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    rep = auth_service.get_by_username(db, username="jet-rep")
    assert rep is not None and rep.company_id == builders.company(db, city, "jet").id
    audit = app_client.get("/admin/audit")
    assert audit.status_code == 200 and "user.create" in audit.text and "boss" in audit.text


def test_a_bad_person_form_says_what_is_wrong_and_creates_nothing(
    app_client: TestClient, db: Session, city: City
):
    builders.make_user(db, city, username="boss2", role=Role.admin)
    builders.login(app_client, "boss2")
    token = _csrf(app_client, "/admin/users")
    form = {"username": "x", "password": "short", "role": "scout", "csrf_token": token}
    answer = app_client.post("/admin/users", data=form)
    assert answer.status_code == 422
    assert "password" in answer.text
    assert auth_service.get_by_username(db, username="x") is None


def test_people_and_audit_pages_are_for_admins_only(
    app_client: TestClient, db: Session, city: City
):
    builders.make_user(db, city, username="sup9", role=Role.supervisor)
    builders.login(app_client, "sup9")
    assert app_client.get("/admin/users").status_code == 403
    assert app_client.get("/admin/audit").status_code == 403
