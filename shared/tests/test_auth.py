from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cw_shared.auth import LocalIssuer, Role, TokenVerifier
from cw_shared.cli import main as cw
from cw_shared.errors import Unauthorized


@pytest.fixture
def issuer(tmp_path: Path) -> LocalIssuer:
    return LocalIssuer(tmp_path / "keys", issuer="cw-local", audience="cw")


@pytest.fixture
def verifier(issuer: LocalIssuer) -> TokenVerifier:
    return TokenVerifier(issuer="cw-local", audience="cw", local=issuer, leeway_seconds=0)


async def test_a_clerk_token_carries_her_centre(
    issuer: LocalIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.mint(role=Role.CLERK, sub="clerk-7", centre="dinghai")
    principal = await verifier.verify(token)
    assert (principal.sub, principal.role, principal.centre) == ("clerk-7", Role.CLERK, "dinghai")
    assert principal.can_act_for_centre("dinghai")
    assert not principal.can_act_for_centre("putuo")


async def test_an_expired_token_is_refused(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    token = issuer.mint(role=Role.CITIZEN, sub="c1", ttl_seconds=-5)
    with pytest.raises(Unauthorized, match="expired"):
        await verifier.verify(token)


async def test_a_token_for_another_audience_is_refused(issuer: LocalIssuer) -> None:
    token = issuer.mint(role=Role.CITIZEN, sub="c1")
    other = TokenVerifier(issuer="cw-local", audience="not-cw", local=issuer)
    with pytest.raises(Unauthorized):
        await other.verify(token)


async def test_a_token_signed_by_another_key_is_refused(verifier: TokenVerifier) -> None:
    forged = jwt.encode(
        {
            "iss": "cw-local",
            "aud": "cw",
            "sub": "x",
            "role": "admin",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
    )
    with pytest.raises(Unauthorized):
        await verifier.verify(forged)


async def test_an_unsigned_token_is_refused(verifier: TokenVerifier) -> None:
    unsigned = jwt.encode(
        {
            "iss": "cw-local",
            "aud": "cw",
            "sub": "x",
            "role": "admin",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        key=None,
        algorithm="none",
    )
    with pytest.raises(Unauthorized):
        await verifier.verify(unsigned)


@pytest.mark.parametrize(
    ("role", "claims", "reason"),
    [("clerk", {}, "centre"), ("agent", {}, "station"), ("superuser", {}, "role")],
)
async def test_tokens_missing_their_binding_are_refused(
    issuer: LocalIssuer, verifier: TokenVerifier, role: str, claims: dict[str, str], reason: str
) -> None:
    now = int(time.time())
    token = jwt.encode(
        {"iss": "cw-local", "aud": "cw", "sub": "x", "role": role, "iat": now, "exp": now + 60}
        | claims,
        issuer.private_key,
        algorithm="ES256",
    )
    with pytest.raises(Unauthorized, match=reason):
        await verifier.verify(token)


@pytest.fixture
def jwks_url(issuer: LocalIssuer) -> Iterator[str]:
    body = json.dumps(issuer.jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


async def test_tokens_verify_against_a_jwks_url(issuer: LocalIssuer, jwks_url: str) -> None:
    verifier = TokenVerifier(issuer="cw-local", audience="cw", jwks_url=jwks_url)
    principal = await verifier.verify(issuer.mint(role=Role.AGENT, sub="a1", station="huaniao"))
    assert principal.station == "huaniao"


async def test_cw_token_prints_a_token_the_services_accept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = cw(
        [
            "--var-dir",
            str(tmp_path),
            "token",
            "--role",
            "clerk",
            "--centre",
            "dinghai",
            "--sub",
            "clerk-9",
            "--ttl",
            "120",
        ]
    )
    assert exit_code == 0
    token = capsys.readouterr().out.strip()
    verifier = TokenVerifier(
        issuer="cw-local",
        audience="cw",
        local=LocalIssuer(tmp_path / "keys", issuer="cw-local", audience="cw"),
    )
    principal = await verifier.verify(token)
    assert (principal.sub, principal.centre) == ("clerk-9", "dinghai")


def test_cw_token_refuses_a_clerk_without_a_centre(tmp_path: Path) -> None:
    assert cw(["--var-dir", str(tmp_path), "token", "--role", "clerk"]) == 2


def test_the_issuer_key_is_created_once_and_kept_private(
    issuer: LocalIssuer, tmp_path: Path
) -> None:
    first = issuer.kid
    again = LocalIssuer(tmp_path / "keys", issuer="cw-local", audience="cw")
    assert again.kid == first
    assert (issuer.path.stat().st_mode & 0o777) == 0o600
