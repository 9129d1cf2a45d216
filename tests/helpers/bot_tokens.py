"""Bot Framework tokens for tests: an OpenID metadata document and its JWKS served on loopback from
a thread (botbuilder fetches them with blocking `requests`, so they cannot share the test's event
loop), and tokens signed with its key, or forged in the ways an attacker would try."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.settings import TeamsSettings, teams_settings

ISSUER = "https://api.botframework.com"
KID = "scout-test-key"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class TokenIssuer:
    """Signs tokens as the Bot Framework channel would, with the key the metadata publishes."""

    app_id: str
    metadata_url: str
    private_key: rsa.RSAPrivateKey

    def claims(self, service_url: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": self.app_id, "serviceurl": service_url, "nbf": now - 60,
                  "iat": now - 60, "exp": now + 3600}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, service_url: str, *, key: rsa.RSAPrivateKey | None = None, kid: str = KID,
              **overrides: Any) -> str:
        return jwt.encode(self.claims(service_url, **overrides), key or self.private_key, algorithm="RS256",
                          headers={"kid": kid})

    def unsigned(self, service_url: str, **overrides: Any) -> str:
        """`alg: none`, the classic forgery: a header and claims with an empty signature."""
        def part(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': KID})}.{part(self.claims(service_url, **overrides))}."

    def stranger_key(self) -> rsa.RSAPrivateKey:
        return _key()


@contextmanager
def openid_server(app_id: str) -> Iterator[TokenIssuer]:
    """OpenID metadata and JWKS on 127.0.0.1 in a thread; yields the issuer of valid tokens."""
    private_key = _key()
    jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk.update({"kid": KID, "use": "sig", "endorsements": ["msteams"]})
    documents: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = documents.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body or b"{}")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    documents["/openid"] = json.dumps({"issuer": ISSUER, "jwks_uri": base + "/keys",
                                       "id_token_signing_alg_values_supported": ["RS256"]}).encode()
    documents["/keys"] = json.dumps({"keys": [jwk]}).encode()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TokenIssuer(app_id=app_id, metadata_url=base + "/openid", private_key=private_key)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def verifying_settings(issuer: TokenIssuer, password: str = "test-app-password") -> TeamsSettings:
    """Scout's Teams settings as `scout serve` reads them, pointed at the loopback metadata."""
    return teams_settings({"MICROSOFT_APP_ID": issuer.app_id, "MICROSOFT_APP_PASSWORD": password,
                           "MICROSOFT_OPENID_METADATA_URL": issuer.metadata_url})
