"""Bearer-token authentication and role-based authorisation.

Tokens are JWTs. In production their keys come from the identity provider's JWKS URL; on one
machine a local issuer signs them with an EC P-256 key generated under ``var/keys`` on first
use (``cw token`` mints them). Claims: ``sub``, ``role``, and ``centre`` for clerks and experts,
``station`` for agents, ``scope`` for service accounts.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import anyio
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from cw_shared.errors import Forbidden, Unauthorized

ALGORITHMS = ["ES256", "RS256"]
LOCAL_KEY_FILE = "issuer-es256.pem"


class Role(StrEnum):
    CITIZEN = "citizen"
    AGENT = "agent"
    CLERK = "clerk"
    EXPERT = "expert"
    ADMIN = "admin"
    INTEGRATOR = "integrator"
    SERVICE = "service"


class Principal(BaseModel):
    """Who is calling, as the verified token says."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "sub": "clerk-001",
                    "role": "clerk",
                    "centre": "dinghai",
                    "station": None,
                    "scopes": [],
                }
            ]
        },
    )

    sub: str
    role: Role
    centre: str | None = None
    station: str | None = None
    scopes: frozenset[str] = frozenset()

    def can_act_for_centre(self, centre_id: str) -> bool:
        return self.role is Role.ADMIN or self.centre == centre_id


class LocalIssuer:
    """The development issuer: one EC key under ``keys_dir``, created atomically on first use."""

    def __init__(self, keys_dir: Path, *, issuer: str, audience: str) -> None:
        self.path = keys_dir / LOCAL_KEY_FILE
        self.issuer = issuer
        self.audience = audience

    @cached_property
    def private_key(self) -> ec.EllipticCurvePrivateKey:
        if not self.path.exists():
            self._create()
        key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key

    @cached_property
    def kid(self) -> str:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key()))
        return str(jwk["x"])[:16]

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, tmp = tempfile.mkstemp(dir=self.path.parent)
        try:
            os.write(fd, pem)
            os.close(fd)
            os.chmod(tmp, 0o600)
            # link() fails if another process won the race; then its key is the key.
            os.link(tmp, self.path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)

    def mint(
        self,
        *,
        role: Role,
        sub: str,
        ttl_seconds: int = 3600,
        centre: str | None = None,
        station: str | None = None,
        scopes: list[str] | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "role": role.value,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        if centre:
            claims["centre"] = centre
        if station:
            claims["station"] = station
        if scopes:
            claims["scope"] = " ".join(scopes)
        return jwt.encode(claims, self.private_key, algorithm="ES256", headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "ES256"})
        return {"keys": [jwk]}


class TokenVerifier:
    """Verifies bearer tokens against the local issuer's key or a JWKS URL."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        local: LocalIssuer | None = None,
        leeway_seconds: int = 30,
    ) -> None:
        if not jwks_url and local is None:
            raise ValueError("a JWKS URL or a local issuer is required")
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway_seconds
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        self._local = local

    async def verify(self, token: str) -> Principal:
        try:
            key = await self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired") from exc
        except (jwt.PyJWTError, ValueError) as exc:
            raise Unauthorized("the token is not valid") from exc
        return _principal_from(claims)

    async def _key_for(self, token: str) -> Any:
        if self._jwks is not None:
            # PyJWKClient fetches with urllib; keep the blocking call off the event loop.
            signing_key = await anyio.to_thread.run_sync(self._jwks.get_signing_key_from_jwt, token)
            return signing_key.key
        assert self._local is not None
        return self._local.private_key.public_key()


def _principal_from(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(claims.get("role", ""))
    except ValueError as exc:
        raise Unauthorized("the token carries no known role") from exc
    principal = Principal(
        sub=str(claims["sub"]),
        role=role,
        centre=claims.get("centre"),
        station=claims.get("station"),
        scopes=frozenset(str(claims.get("scope", "")).split()),
    )
    if role in (Role.CLERK, Role.EXPERT) and not principal.centre:
        raise Unauthorized(f"a {role} token must name a centre")
    if role is Role.AGENT and not principal.station:
        raise Unauthorized("an agent token must name a station")
    return principal


_bearer = HTTPBearer(auto_error=False, description="A JWT from the identity provider")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send a bearer token in the Authorization header")
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that admits only the given roles: ``Depends(require_roles(Role.CLERK))``."""
    allowed = frozenset(roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"this endpoint is for: {names}")
        return principal

    return dependency


def ensure_centre(principal: Principal, centre_id: str) -> None:
    """Clerks and experts act only for their own centre; admins for any."""
    if not principal.can_act_for_centre(centre_id):
        raise Forbidden("this belongs to another service centre")


def ensure_scope(principal: Principal, scope: str) -> None:
    if principal.role is Role.SERVICE and scope not in principal.scopes:
        raise Forbidden(f"this service account lacks the scope {scope!r}")


async def centre_staff(centre_id: str, principal: CurrentPrincipal) -> Principal:
    """A dependency for routes under ``/centres/{centre_id}``: that centre's clerks, or admins."""
    if principal.role not in (Role.CLERK, Role.EXPERT, Role.ADMIN):
        raise Forbidden("this endpoint is for the centre's staff")
    ensure_centre(principal, centre_id)
    return principal
