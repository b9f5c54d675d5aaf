"""Every endpoint meets bad input with a clear problem and leaves nothing half-written."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from cw_shared.db import Base as KernelBase
from cw_shared.db import Database
from cw_shared.testing import bearer
from queue_api.config import QueueSettings
from queue_api.models import Base, load_all_models

from .seed import seed

UNKNOWN = "nope-0"
STREAMS = re.compile(r"/stream$")


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        if path.startswith("/v1/") and not STREAMS.search(path)
        for method, op in item.items()
    ]


def json_body_schema(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return dict(schema)


async def row_counts(settings: QueueSettings) -> dict[str, int]:
    """Rows in every table, the outbox and idempotency keys included."""
    load_all_models()
    database = Database(settings.database_url)
    async with database.sessionmaker() as session:
        counts = {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in [*Base.metadata.sorted_tables, *KernelBase.metadata.sorted_tables]
        }
    await database.dispose()
    return counts


def concrete_path(path: str, op: dict[str, Any]) -> str:
    """The path with ids that do not exist (dates where a date is expected)."""
    for param in op.get("parameters", []):
        if param["in"] != "path":
            continue
        fmt = param.get("schema", {}).get("format")
        value = "2099-01-01" if fmt == "date" else UNKNOWN
        path = path.replace("{" + param["name"] + "}", value)
    return path


async def first_admitted(
    client: httpx.AsyncClient, method: str, path: str, callers: list[dict[str, str]]
) -> dict[str, str]:
    """The first caller whose role the endpoint admits (its answer is not 403)."""
    for caller in callers:
        headers = caller | {"Idempotency-Key": uuid.uuid4().hex}
        if (await client.request(method, path, json=[1], headers=headers)).status_code != 403:
            return headers
    raise AssertionError(f"{method} {path} admits nobody")


def assert_problem(response: httpx.Response, status: int, where: str) -> dict[str, Any]:
    assert response.status_code == status, f"{where}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json", where
    body: dict[str, Any] = response.json()
    assert body["type"].startswith("urn:cw:problem:"), where
    return body


async def test_bad_bodies_unknown_ids_and_oversized_requests_are_refused_cleanly(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    spec = (await app_client.get("/openapi.json")).json()
    callers = [
        bearer(settings, "admin"),
        bearer(settings, "clerk", sub="clerk-1", centre="dinghai"),
        bearer(settings, "agent", sub="agent-1", station="huaniao"),
        bearer(settings, "citizen", sub="citizen-1"),
    ]
    before = await row_counts(settings)
    checked = 0
    for method, path, op in operations(spec):
        schema = json_body_schema(spec, op)
        concrete = concrete_path(path, op)
        where = f"{method} {path}"
        headers = await first_admitted(app_client, method, concrete, callers)
        if schema is not None:
            wrong_type = await app_client.request(method, concrete, json=[1, 2], headers=headers)
            assert_problem(wrong_type, 422, where)
            if schema.get("required"):
                missing = await app_client.request(method, concrete, json={}, headers=headers)
                body = assert_problem(missing, 422, where)
                reported = {e["location"] for e in body["errors"]}
                assert {f"body.{name}" for name in schema["required"]} <= reported, where
            huge = {"padding": "x" * (settings.max_body_bytes + 1)}
            assert_problem(
                await app_client.request(method, concrete, json=huge, headers=headers), 413, where
            )
            assert_problem(
                await app_client.request(
                    method,
                    concrete,
                    content=b"{not json",
                    headers=headers | {"Content-Type": "application/json"},
                ),
                422,
                where,
            )
        if "{" in path:
            examples = (schema or {}).get("examples") or [{}]
            kwargs = {"json": examples[0]} if schema is not None else {}
            response = await app_client.request(method, concrete, headers=headers, **kwargs)
            assert_problem(response, 404, where)
        checked += 1
    assert checked >= 20
    assert await row_counts(settings) == before
