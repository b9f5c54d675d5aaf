"""Idempotency keys for POSTs that create things.

A route takes ``idem: Idempotent`` (or ``IdempotencyRequired``) and ends with
``return await idem.remember(result, status_code=201)``. The key is claimed in the request's
own transaction, so the stored response commits with the thing it describes or not at all:

* the same key from the same caller with the same body gets the first response again;
* the same key with a different body is refused (422, ``idempotency-key-reused``);
* a concurrent duplicate waits for the first (PostgreSQL blocks on the key's unique index,
  SQLite on its write lock) and then gets its response.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete, select

from cw_shared.auth import CurrentPrincipal
from cw_shared.db import DbSession, insert_or_ignore
from cw_shared.errors import Conflict, Problem
from cw_shared.tables import IdempotencyRow

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


class IdempotencyKeyReused(Problem):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency key reused"


class IdempotencyKeyMissing(Problem):
    status, slug, title = 400, "idempotency-key-missing", "Idempotency-Key header required"


class IdempotentReplay(Exception):
    """Raised by the dependency to answer with the stored first response."""

    def __init__(self, row: IdempotencyRow) -> None:
        super().__init__("replay")
        # Copied now: the session is rolled back before the response is made.
        self.status_code = row.status_code or 200
        self.body = row.response_body or b""
        self.headers = dict(row.response_headers or {}) | {REPLAYED_HEADER: "true"}

    def response(self) -> Response:
        return Response(
            self.body,
            status_code=self.status_code,
            headers=self.headers,
            media_type="application/json",
        )


class IdempotentRequest:
    """A claimed key; ``remember`` stores the response in the request's transaction."""

    def __init__(self, row: IdempotencyRow | None, session: Any) -> None:
        self._row = row
        self._session = session

    @property
    def key(self) -> str | None:
        return self._row.key if self._row else None

    async def remember(
        self, result: Any, *, status_code: int = 201, headers: dict[str, str] | None = None
    ) -> JSONResponse:
        body = jsonable_encoder(result)
        response = JSONResponse(body, status_code=status_code, headers=headers)
        if self._row is not None:
            self._row.status_code = status_code
            self._row.response_body = bytes(response.body)
            self._row.response_headers = headers or {}
            await self._session.flush()
        return response


async def _request_hash(request: Request) -> str:
    raw = await request.body()
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = raw
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


async def _claim(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    key: str | None,
    *,
    required: bool,
) -> IdempotentRequest:
    if key is None:
        if required:
            raise IdempotencyKeyMissing(f"send an {HEADER} header so that a retry is safe")
        return IdempotentRequest(None, session)
    caller = f"{principal.role.value}:{principal.sub}"
    request_hash = await _request_hash(request)
    now = datetime.now(UTC)
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    await session.execute(
        delete(IdempotencyRow).where(
            IdempotencyRow.caller == caller,
            IdempotencyRow.key == key,
            IdempotencyRow.created_at < now - ttl,
        )
    )
    values = {"caller": caller, "key": key, "request_hash": request_hash, "created_at": now}
    if await insert_or_ignore(session, IdempotencyRow, values):
        row = await session.get_one(IdempotencyRow, (caller, key))
        return IdempotentRequest(row, session)
    existing = await session.scalar(
        select(IdempotencyRow).where(IdempotencyRow.caller == caller, IdempotencyRow.key == key)
    )
    if existing is None:  # expired and purged between our two statements
        raise Conflict("the idempotency key is being reused; retry")
    if existing.request_hash != request_hash:
        raise IdempotencyKeyReused(
            f"this {HEADER} was already used with a different request; use a new key"
        )
    if existing.status_code is None:
        raise Conflict("the first request with this key did not store a response")
    raise IdempotentReplay(existing)


_KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        pattern=KEY_PATTERN,
        description="A client-chosen key (e.g. a UUID); retries with the same key and body "
        "return the first response instead of creating a second resource.",
        examples=["6f1c1e52-8a3b-4a55-9f2e-0d3c3d8f6a11"],
    ),
]


async def _optional(
    request: Request, session: DbSession, principal: CurrentPrincipal, key: _KeyHeader = None
) -> IdempotentRequest:
    return await _claim(request, session, principal, key, required=False)


async def _required(
    request: Request, session: DbSession, principal: CurrentPrincipal, key: _KeyHeader = None
) -> IdempotentRequest:
    return await _claim(request, session, principal, key, required=True)


Idempotent = Annotated[IdempotentRequest, Depends(_optional, scope="function")]
IdempotencyRequired = Annotated[IdempotentRequest, Depends(_required, scope="function")]


async def replay_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    return exc.response()
