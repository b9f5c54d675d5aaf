from __future__ import annotations

import asyncio

import httpx

from cw_shared.testing import bearer
from queue_api.config import QueueSettings

DINGHAI = {"id": "dinghai", "name": "定海区行政服务中心公安窗口", "timezone": "Asia/Shanghai"}


async def test_admin_creates_a_centre_and_anyone_signed_in_reads_it(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    created = await client.post("/v1/centres", json=DINGHAI, headers=bearer(settings, "admin"))
    assert created.status_code == 201
    assert created.json()["name"] == DINGHAI["name"]

    read = await client.get("/v1/centres/dinghai", headers=bearer(settings, "citizen"))
    assert read.status_code == 200
    assert read.json()["timezone"] == "Asia/Shanghai"


async def test_a_clerk_may_not_create_a_centre(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    response = await client.post(
        "/v1/centres", json=DINGHAI, headers=bearer(settings, "clerk", centre="dinghai")
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:cw:problem:forbidden"


async def test_a_taken_id_is_a_conflict(client: httpx.AsyncClient, settings: QueueSettings) -> None:
    admin = bearer(settings, "admin")
    assert (await client.post("/v1/centres", json=DINGHAI, headers=admin)).status_code == 201
    again = await client.post("/v1/centres", json=DINGHAI, headers=admin)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:cw:problem:conflict"


async def test_pages_walk_every_centre_once(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    admin = bearer(settings, "admin")
    ids = [f"centre-{n:02d}" for n in range(7)]
    for centre_id in ids:
        body = {"id": centre_id, "name": centre_id}
        assert (await client.post("/v1/centres", json=body, headers=admin)).status_code == 201
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 3}
    while True:
        page = (await client.get("/v1/centres", params=params, headers=admin)).json()
        seen += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ids


async def test_an_unknown_timezone_is_refused(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    body = DINGHAI | {"timezone": "Mars/Olympus"}
    response = await client.post("/v1/centres", json=body, headers=bearer(settings, "admin"))
    assert response.status_code == 422
    assert [e["location"] for e in response.json()["errors"]] == ["body.timezone"]


async def test_concurrent_retries_with_one_key_create_one_centre(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    headers = bearer(settings, "admin") | {"Idempotency-Key": "create-dinghai-1"}
    responses = await asyncio.gather(
        *(client.post("/v1/centres", json=DINGHAI, headers=headers) for _ in range(5))
    )
    assert [r.status_code for r in responses] == [201] * 5
    assert len({r.text for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 4
