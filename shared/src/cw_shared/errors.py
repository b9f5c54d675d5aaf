"""RFC 9457 problem details for every error a client can see.

Each problem has a stable ``type`` (``urn:cw:problem:<slug>``, listed in ``docs/problems.md``);
clients branch on it, never on ``title`` or ``detail``. No stack trace ever reaches a client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:cw:problem:"

log = structlog.get_logger(__name__)


def problem_type(slug: str) -> str:
    return TYPE_PREFIX + slug


class ProblemDetail(BaseModel):
    """The body of every error response (RFC 9457); extension members may follow."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:cw:problem:forbidden",
                    "title": "Forbidden",
                    "status": 403,
                    "detail": "this endpoint is for: admin",
                    "instance": "/v1/centres",
                    "request_id": "0b5c3f0e9a1d4c4f8a3e2b1c0d9e8f7a",
                }
            ]
        },
    )

    type: str = Field(description="A stable URI naming the kind of problem")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None


class Problem(Exception):
    """An error with a stable type. Subclass per kind; raise with a detail for this case."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions

    @property
    def type(self) -> str:
        return problem_type(self.slug)


class BadRequest(Problem):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extensions)


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(Problem):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(Problem):
    status, slug, title = 422, "validation", "Request validation failed"


class TooManyRequests(Problem):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, **extensions)


class InternalError(Problem):
    status, slug, title = 500, "internal", "Internal server error"


class ServiceUnavailable(Problem):
    status, slug, title = 503, "unavailable", "Service unavailable"


_BY_STATUS: dict[int, type[Problem]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        TooManyRequests,
        InternalError,
        ServiceUnavailable,
    )
}


def _current_request_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value else None


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": problem_type(slug), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if request_id := _current_request_id():
        body["request_id"] = request_id
    body.update(extensions or {})
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def render_problem(problem: Problem, instance: str | None = None) -> JSONResponse:
    return problem_response(
        status=problem.status,
        slug=problem.slug,
        title=problem.title,
        detail=problem.detail,
        instance=instance,
        headers=problem.headers,
        extensions=problem.extensions,
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors without the echoed input (it may hold personal data)."""
    return [
        {
            "location": ".".join(str(part) for part in error.get("loc", ())),
            "message": error.get("msg", ""),
            "code": error.get("type", ""),
        }
        for error in exc.errors()
    ]


async def _handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return render_problem(exc, request.url.path)


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    fields = ", ".join(sorted({e["location"] for e in errors}))
    return problem_response(
        status=422,
        slug=ValidationFailed.slug,
        title=ValidationFailed.title,
        detail=f"invalid fields: {fields}" if fields else None,
        instance=request.url.path,
        extensions={"errors": errors},
    )


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    cls = _BY_STATUS.get(exc.status_code, Problem)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != cls.title else None
    return problem_response(
        status=exc.status_code,
        slug=cls.slug if cls is not Problem else f"http-{exc.status_code}",
        title=cls.title if cls is not Problem else "HTTP error",
        detail=detail,
        instance=request.url.path,
        headers=exc.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _handle_problem)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)


def problem_doc(description: str) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry for a problem response."""
    return {"model": ProblemDetail, "content": {PROBLEM_JSON: {}}, "description": description}


# Every documented operation lists these.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_doc("No valid bearer token"),
    403: problem_doc("The caller's role or centre may not do this"),
    422: problem_doc("The request is not valid; `errors` lists the fields"),
    500: problem_doc("An unexpected error; quote `request_id` when reporting it"),
}
