"""Damage test support: scouts' reports as the scout app files them, and a real webhook receiver."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy.orm import Session

from tartip.auth.enums import Role
from tartip.auth.models import User
from tartip.cities.models import City, Company
from tartip.core import photos
from tartip.damage import agreements
from tartip.damage.models import CompanyAgreement, WebhookEndpoint
from tartip.damage.schemas import AgreementUpdate, WebhookUpdate
from tartip.ops import work
from tartip.ops.enums import DamageKind, PhotoStage
from tartip.ops.models import DamageReport
from tartip.ops.schemas import DamageCreate
from tests import builders
from tests.ops.helpers import admin_scope, jpeg_with_gps, scope_of

CENTRE = (76.9286, 43.2567)


def account(
    db: Session, city: City, *, username: str, role: Role, company: str | None = None
) -> User:
    """A user who signs in by API token only (no password: no costly hashing in every test)."""
    company_id = builders.company(db, city, company).id if company else None
    user = User(username=username, role=role, city_id=city.id, company_id=company_id)
    db.add(user)
    db.flush()
    return user


def make_scout(db: Session, city: City, name: str | None = None) -> User:
    """A scout of the operator."""
    return account(db, city, username=name or f"scout-{uuid.uuid4().hex[:6]}", role=Role.scout)


def make_rep(db: Session, city: City, slug: str, name: str | None = None) -> User:
    """A representative of one company (signs in with ``builders.PASSWORD`` only if named)."""
    if name is not None:  # a named one signs in through the login form in page tests
        return builders.make_user(db, city, username=name, role=Role.company_rep, company_slug=slug)
    username = f"rep-{slug}-{uuid.uuid4().hex[:6]}"
    return account(db, city, username=username, role=Role.company_rep, company=slug)


def report_damage(
    db: Session,
    scout: User,
    *,
    code: str,
    kind: DamageKind = DamageKind.broken,
    description: str = "",
    lon: float | None = CENTRE[0],
    lat: float | None = CENTRE[1],
    photo: bool = False,
    root: object = None,
) -> DamageReport:
    """A damage report from a scout's phone, through the ops service as the sync API does."""
    photo_id = None
    scope = scope_of(scout)
    if photo:
        assert root is not None
        stored = work.upload_photo(
            db, scope=scope, root=root, client_id=str(uuid.uuid4()),  # type: ignore[arg-type]
            stage=PhotoStage.damage, data=jpeg_with_gps(), task_id=None,
        )  # fmt: skip
        photo_id = stored.id
    data = DamageCreate(
        client_id=str(uuid.uuid4()), code=code, kind=kind, description=description,
        lon=lon, lat=lat, photo_id=photo_id,
    )  # fmt: skip
    return work.report_damage(db, scope=scope, data=data)


def agree(
    db: Session,
    company: Company,
    *,
    hours: float = 24.0,
    webhook: bool = False,
    email: str | None = None,
) -> CompanyAgreement:
    """Record a company's agreement as an admin would."""
    data = AgreementUpdate(
        collect_within_h=hours, deliver_webhook=webhook, deliver_email=email is not None,
        email=email,
    )  # fmt: skip
    city = db.get(City, company.city_id)
    assert city is not None
    return agreements.update_agreement(db, scope=admin_scope(city), company=company, data=data)


def hook(db: Session, company: Company, url: str) -> WebhookEndpoint:
    """A company's webhook, delivering, as an admin sets it."""
    city = db.get(City, company.city_id)
    assert city is not None
    agree(db, company, webhook=True)
    data = WebhookUpdate(url=url)
    return agreements.set_endpoint(db, scope=admin_scope(city), company=company, data=data).endpoint


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A company's webhook receiver over real HTTP: answers from a script, then ``default``."""

    script: list[int] = field(default_factory=list)
    default: int = 200
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self) -> int:
        return self.script.pop(0) if self.script else self.default


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            receiver.received.append(
                Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                )
            )
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            status = receiver.answer()
            payload = b'{"ok": true}' if status < 300 else b"receiver says no"
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: object) -> None:
            pass

    return Handler


@contextmanager
def receiver(script: list[int] | None = None, *, delay_s: float = 0.0) -> Iterator[Receiver]:
    """A receiver listening on a free loopback port in a thread, for the ``with`` block."""
    made = Receiver(script=list(script or []), delay_s=delay_s)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(made))
    made.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/tartip"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def iso(moment: datetime) -> str:
    return moment.isoformat()


__all__ = ["admin_scope", "photos", "scope_of"]
