"""The HTTP edge of every service: request id, body limit, access log, metrics, last-resort 500.

A pure ASGI middleware (not ``BaseHTTPMiddleware``) so that streaming responses (SSE) and
WebSockets pass through untouched.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cw_shared.errors import InternalError, PayloadTooLarge, UnsupportedMediaType, render_problem
from cw_shared.metrics import HTTP_DURATION, HTTP_REQUESTS

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = structlog.get_logger("cw.http")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID when it is safe to log, else a new one."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, service: str, max_body_bytes: int) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope["headers"])
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id, method=scope.get("method", "WS"), path=scope["path"]
        )
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self._http(scope, receive, send, request_id)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        status = 500
        response_started = False

        declared = _content_length(scope["headers"])
        if declared is not None and declared > self.max_body_bytes:
            await self._send_problem(scope, receive, send, PayloadTooLarge(self._limit_text()))
            self._record(scope, 413, started)
            return

        received = 0
        answered = False  # we answered 413 ourselves; the app's own response is dropped

        async def limited_receive() -> Message:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes and not answered:
                    problem = PayloadTooLarge(self._limit_text())
                    await self._send_problem(scope, receive, tagged_send, problem)
                    answered = True
                if answered:
                    return {"type": "http.disconnect"}
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal status, response_started
            if answered:
                return
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive, tagged_send)
        except Exception:
            if answered:
                return
            log.exception("unhandled error")
            if not response_started:
                await self._send_problem(
                    scope,
                    receive,
                    tagged_send,
                    InternalError("the error was logged; quote the request id when reporting it"),
                )
        finally:
            self._record(scope, status, started)

    def _limit_text(self) -> str:
        return f"request bodies are limited to {self.max_body_bytes} bytes"

    async def _send_problem(self, scope: Scope, receive: Receive, send: Send, problem: Any) -> None:
        await render_problem(problem, scope["path"])(scope, receive, send)

    def _record(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        template = getattr(route, "path", "unmatched")
        method = scope.get("method", "")
        HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
        HTTP_DURATION.labels(self.service, method, template).observe(elapsed)
        log.info("request", status=status, route=template, duration_ms=round(elapsed * 1000, 2))


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def require_json(request: Request) -> None:
    """Router dependency: a request with a body must send it as JSON (else 415)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    has_body = (
        request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    )
    if has_body and not (content_type == "application/json" or content_type.endswith("+json")):
        raise UnsupportedMediaType(
            f"send the body as application/json, not {content_type or 'an untyped body'}"
        )
