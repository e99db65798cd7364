"""Who may read a simulated company's MDS Provider API: bearer tokens and OAuth 2 clients.

MDS asks for ``Authorization: Bearer <token>`` and recommends OAuth 2 client credentials
(RFC 6749 §4.4) issuing JSON Web Tokens. A company accepts its static tokens, and the tokens its
``/oauth/token`` endpoint issued: HS256 JWTs (RFC 7519) carrying the company, its ``provider_id``
and an expiry, signed with a key made when the server starts (a restart invalidates them, as a
key rotation would; clients ask again).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from typing import Any

import orjson

from tartip.simulator.config import SimulatorConfig

TOKEN_LIFETIME_S = 3600
ISSUER = "tartip-simulator"
SCOPE = "mds.provider"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings (no timing hint of how much matched)."""
    return hmac.compare_digest(a.encode(), b.encode())


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """``(client_id, secret)`` of an ``Authorization: Basic …`` header, else None."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


class ProviderAuth:
    """Checks and issues access to each company's Provider API (reads the live config)."""

    def __init__(self, config: SimulatorConfig, *, lifetime_s: int = TOKEN_LIFETIME_S) -> None:
        self._config = config
        self._key = secrets.token_bytes(32)
        self.lifetime_s = lifetime_s

    def client_ok(self, slug: str, client_id: str, secret: str) -> bool:
        """Whether ``client_id``/``secret`` is a client of ``slug``."""
        clients = self._config.link(slug).oauth_clients
        expected = clients.get(client_id)
        # Compare even for an unknown client, so timing does not tell which ids exist.
        return _same(expected or secrets.token_hex(16), secret) and expected is not None

    def issue(self, slug: str, client_id: str, provider_id: str) -> dict[str, Any]:
        """An OAuth 2 token response (RFC 6749 §5.1) for ``client_id`` of ``slug``."""
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": client_id,
            "aud": slug,
            "provider_id": provider_id,
            "scope": SCOPE,
            "iat": now,
            "exp": now + self.lifetime_s,
        }
        header = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
        payload = _b64(orjson.dumps(claims))
        token = f"{header}.{payload}.{self._sign(header, payload)}"
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.lifetime_s,
            "scope": SCOPE,
        }

    def _sign(self, header: str, payload: str) -> str:
        digest = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return _b64(digest)

    def allows(self, slug: str, authorization: str | None) -> bool:
        """Whether the ``Authorization`` header gives access to ``slug``'s Provider API."""
        token = bearer_token(authorization)
        if token is None:
            return False
        if any(_same(token, known) for known in self._config.link(slug).mds_tokens):
            return True
        return self._jwt_ok(slug, token)

    def _jwt_ok(self, slug: str, token: str) -> bool:
        header, _, rest = token.partition(".")
        payload, _, signature = rest.partition(".")
        if not (header and payload and signature) or not _same(
            self._sign(header, payload), signature
        ):
            return False
        try:
            claims = orjson.loads(_unb64(payload))
        except (binascii.Error, orjson.JSONDecodeError, ValueError):
            return False
        return (
            isinstance(claims, dict)
            and claims.get("aud") == slug
            and isinstance(claims.get("exp"), int)
            and claims["exp"] > time.time()
        )
