"""The public form: no login, a reference and a status page without personal data; a per-address
limit and a honeypot; refused uploads; a refused form keeps what was typed."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tartip.cities.models import City
from tartip.complaints.models import Complaint, ComplaintPhoto
from tartip.core.ratelimit import RateLimiter
from tests.complaints.helpers import CENTRE, csrf_of
from tests.ops.helpers import jpeg_with_gps


def form(token: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "category": "blocking_passage",
        "lon": str(CENTRE[0]),
        "lat": str(CENTRE[1]),
        "description": "Три самоката поперёк тротуара",
        "contact_name": "Айгуль",
        "contact_email": "aigul@example.kz",
        "contact_consent": "on",
        "website": "",
        **extra,
    }


def count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Complaint)) or 0)


def test_a_citizen_files_and_reads_the_status_page(app_client: TestClient, db: Session, city: City):
    page = app_client.get("/complaints/new")
    assert page.status_code == 200 and 'name="website"' in page.text
    assert "90" in page.text  # the retention time is said on the form
    sent = app_client.post(
        "/complaints/new",
        data=form(csrf_of(app_client)),
        files={"photo": ("scooter.jpg", jpeg_with_gps(), "image/jpeg")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    target = sent.headers["location"]
    assert target.startswith("/complaints/status/ALA-") and target.endswith("?new=1")
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.source == "citizen" and complaint.contact_email == "aigul@example.kz"
    photo = db.scalars(select(ComplaintPhoto)).one()
    stored = app_client.app.state.settings.media_root / photo.path
    assert stored.is_file() and b"Phone Model X" not in stored.read_bytes()
    status = app_client.get(target)
    assert status.status_code == 200 and complaint.reference in status.text
    for private in ("Айгуль", "aigul@example.kz", "Три самоката", str(CENTRE[1])):
        assert private not in status.text
    assert app_client.get("/complaints/status/ALA-000000-0000").status_code == 404
    looked = app_client.get(f"/complaints/status?ref={complaint.reference.lower()}")
    assert looked.status_code == 200 and complaint.reference in looked.text


def test_a_refused_form_keeps_what_was_typed(app_client: TestClient, db: Session, city: City):
    token = csrf_of(app_client)
    typed = form(token, category="", contact_email="aigul-at-example", lat="", lon="")
    refused = app_client.post("/complaints/new", data=typed)
    assert refused.status_code == 422
    assert "Три самоката поперёк тротуара" in refused.text and "aigul-at-example" in refused.text
    assert 'data-testid="error-category"' in refused.text
    assert 'data-testid="error-place"' in refused.text
    wrong_email = app_client.post("/complaints/new", data=form(token, contact_email="x@y"))
    assert wrong_email.status_code == 422 and 'data-testid="error-email"' in wrong_email.text
    assert count(db) == 0


def test_uploads_are_checked_by_content_and_size(app_client: TestClient, db: Session, city: City):
    token = csrf_of(app_client)
    fake = app_client.post(
        "/complaints/new",
        data=form(token),
        files={"photo": ("scooter.jpg", b"MZ\x90\x00 not a picture at all", "image/jpeg")},
    )
    assert fake.status_code == 422 and 'data-testid="error-photo"' in fake.text
    assert "Три самоката поперёк тротуара" in fake.text
    app_client.app.state.settings.photo_max_bytes = 2000
    big = io.BytesIO()
    Image.effect_noise((400, 400), 90).convert("RGB").save(big, format="PNG")
    assert len(big.getvalue()) > 2000
    large = app_client.post(
        "/complaints/new", data=form(token), files={"photo": ("big.png", big.getvalue())}
    )
    assert large.status_code == 413 and 'data-testid="error-photo"' in large.text
    assert count(db) == 0


def test_the_honeypot_and_the_rate_limit(app_client: TestClient, db: Session, city: City):
    app_client.app.state.complaint_rate_limiter = RateLimiter(limit=2, window_s=600)
    token = csrf_of(app_client)
    trapped = app_client.post("/complaints/new", data=form(token, website="http://spam.example"))
    assert trapped.status_code == 400 and count(db) == 0
    first = app_client.post("/complaints/new", data=form(token), follow_redirects=False)
    assert first.status_code == 303 and count(db) == 1
    # The trap counted too: the address has used its two complaints in the window.
    blocked = app_client.post("/complaints/new", data=form(token))
    assert blocked.status_code == 429 and 'data-testid="form-error"' in blocked.text
    assert "Три самоката поперёк тротуара" in blocked.text and count(db) == 1


def test_the_form_needs_its_csrf_token(app_client: TestClient, db: Session, city: City):
    app_client.get("/complaints/new")
    refused = app_client.post("/complaints/new", data=form("forged"))
    assert refused.status_code == 403 and count(db) == 0
