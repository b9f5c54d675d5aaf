"""Every error a client can meet is RFC 9457 problem+json with a stable type, and no trace."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, ClassVar

import httpx
import pytest
import pytest_asyncio
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from cw_shared.app import create_service_app
from cw_shared.auth import Principal, Role, require_roles
from cw_shared.errors import Conflict, TooManyRequests
from cw_shared.http import require_json
from cw_shared.log import mask_personal_data
from cw_shared.settings import ServiceSettings
from cw_shared.testing import bearer


class DemoSettings(ServiceSettings):
    service_name: ClassVar[str] = "demo"


class Application(BaseModel):
    name: str = Field(min_length=1)
    copies: int = Field(ge=1, le=5)


router = APIRouter(prefix="/v1", dependencies=[Depends(require_json)])
Clerk = Annotated[Principal, Depends(require_roles(Role.CLERK))]


@router.post("/applications")
async def submit(body: Application, clerk: Clerk) -> Application:
    return body


@router.get("/conflict")
async def conflicting(clerk: Clerk) -> None:
    raise Conflict("the ticket is already called", state="called")


@router.get("/busy")
async def busy(clerk: Clerk) -> None:
    raise TooManyRequests("three attempts in a minute", retry_after=60)


@router.get("/crash")
async def crash(clerk: Clerk) -> None:
    raise RuntimeError("secret internals: 330902199001011234")


@pytest.fixture
def settings(tmp_path: Path) -> DemoSettings:
    return DemoSettings(var_dir=tmp_path, env="test", max_body_bytes=1024)


@pytest_asyncio.fixture
async def client(settings: DemoSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(settings, title="demo", description="demo", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["type"] == f"urn:cw:problem:{slug}"
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/applications", json={"name": "a", "copies": 1})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_garbage_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/conflict", headers={"Authorization": "Bearer not.a.jwt"})
    assert_problem(response, 401, "unauthorized")


async def test_the_wrong_role_is_403(client: httpx.AsyncClient, settings: DemoSettings) -> None:
    response = await client.get("/v1/conflict", headers=bearer(settings, "citizen"))
    assert_problem(response, 403, "forbidden")


async def test_an_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nothing-here"), 404, "not-found")


async def test_a_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/applications")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "POST"


async def test_a_conflict_carries_the_current_state(
    client: httpx.AsyncClient, settings: DemoSettings
) -> None:
    response = await client.get("/v1/conflict", headers=bearer(settings, "clerk", centre="c1"))
    assert assert_problem(response, 409, "conflict")["state"] == "called"


async def test_a_body_over_the_limit_is_413(
    client: httpx.AsyncClient, settings: DemoSettings
) -> None:
    big = {"name": "x" * 2000, "copies": 1}
    response = await client.post(
        "/v1/applications", json=big, headers=bearer(settings, "clerk", centre="c1")
    )
    assert_problem(response, 413, "payload-too-large")


async def test_a_chunked_body_over_the_limit_is_413(
    client: httpx.AsyncClient, settings: DemoSettings
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b" " * 512

    headers = bearer(settings, "clerk", centre="c1") | {"Content-Type": "application/json"}
    response = await client.post("/v1/applications", content=chunks(), headers=headers)
    assert_problem(response, 413, "payload-too-large")


async def test_a_non_json_body_is_415(client: httpx.AsyncClient, settings: DemoSettings) -> None:
    headers = bearer(settings, "clerk", centre="c1") | {"Content-Type": "text/plain"}
    response = await client.post("/v1/applications", content=b"name=a", headers=headers)
    assert_problem(response, 415, "unsupported-media-type")


async def test_malformed_json_is_422(client: httpx.AsyncClient, settings: DemoSettings) -> None:
    headers = bearer(settings, "clerk", centre="c1") | {"Content-Type": "application/json"}
    response = await client.post("/v1/applications", content=b'{"name": ', headers=headers)
    assert_problem(response, 422, "validation")


async def test_invalid_fields_are_422_listing_each_field(
    client: httpx.AsyncClient, settings: DemoSettings
) -> None:
    response = await client.post(
        "/v1/applications",
        json={"name": "", "copies": 9},
        headers=bearer(settings, "clerk", centre="c1"),
    )
    body = assert_problem(response, 422, "validation")
    errors = body["errors"]
    assert isinstance(errors, list)
    assert sorted(e["location"] for e in errors) == ["body.copies", "body.name"]
    assert all("input" not in e for e in errors)  # no echo of what may be personal data


async def test_rate_limits_are_429_with_retry_after(
    client: httpx.AsyncClient, settings: DemoSettings
) -> None:
    response = await client.get("/v1/busy", headers=bearer(settings, "clerk", centre="c1"))
    assert_problem(response, 429, "too-many-requests")
    assert response.headers["retry-after"] == "60"


async def test_a_crash_is_500_without_internals_and_is_logged_with_its_request_id(
    client: httpx.AsyncClient, settings: DemoSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    headers = bearer(settings, "clerk", centre="c1") | {"X-Request-ID": "req-42"}
    response = await client.get("/v1/crash", headers=headers)
    body = assert_problem(response, 500, "internal")
    assert "secret internals" not in response.text
    assert body["request_id"] == "req-42"
    assert response.headers["x-request-id"] == "req-42"
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


async def test_a_request_id_is_made_when_none_or_an_unsafe_one_is_sent(
    client: httpx.AsyncClient,
) -> None:
    plain = await client.get("/healthz")
    assert len(plain.headers["x-request-id"]) == 32
    unsafe = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"


async def test_log_lines_are_json_with_the_request_id_and_no_id_numbers(
    client: httpx.AsyncClient, settings: DemoSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = bearer(settings, "clerk", centre="c1") | {"X-Request-ID": "req-43"}
    await client.get("/v1/crash", headers=headers)
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    mine = [line for line in lines if line.get("request_id") == "req-43"]
    assert {"unhandled error", "request"} <= {line["event"] for line in mine}
    assert all(line["service"] == "demo" for line in mine)
    assert "330902199001011234" not in json.dumps(lines)
    assert "3309**********1234" in json.dumps(lines)


def test_personal_numbers_are_masked() -> None:
    assert mask_personal_data("id 33090219900101123X ok") == "id 3309**********123X ok"
    assert mask_personal_data("call 13812345678") == "call 138****5678"
    assert mask_personal_data("ticket A0012") == "ticket A0012"
