from __future__ import annotations

import httpx

from cw_shared.testing import bearer
from queue_api.config import QueueSettings

from .catalogue import admin, locations, make_centre, make_counter, make_item


async def test_admin_creates_an_item_and_anyone_signed_in_reads_it(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    body = {
        "code": "HJ-QY",
        "name": "户口迁移",
        "prefix": "H",
        "expected_service_minutes": 15,
        "remote_allowed": False,
    }
    created = await client.post("/v1/items", json=body, headers=admin(settings))
    assert created.status_code == 201
    assert created.json()["priority"] is False  # the default

    read = await client.get("/v1/items/HJ-QY", headers=bearer(settings, "citizen"))
    assert read.json() == created.json()
    assert (await client.post("/v1/items", json=body, headers=admin(settings))).status_code == 409
    clerk = bearer(settings, "clerk", centre="dinghai")
    assert (await client.post("/v1/items", json=body, headers=clerk)).status_code == 403


async def test_a_prefix_is_one_to_three_capital_letters_and_times_are_bounded(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    body = {
        "code": "HJ QY",
        "name": "户口迁移",
        "prefix": "A1",
        "expected_service_minutes": 481,
        "remote_allowed": "sometimes",
    }
    response = await client.post("/v1/items", json=body, headers=admin(settings))
    assert locations(response) == [
        "body.code",
        "body.prefix",
        "body.expected_service_minutes",
        "body.remote_allowed",
    ]
    for prefix in ("", "ABCD", "a", "户"):
        body = {"code": "HJ", "name": "户籍", "prefix": prefix, "expected_service_minutes": 10}
        response = await client.post("/v1/items", json=body, headers=admin(settings))
        assert locations(response) == ["body.prefix"], prefix


async def test_items_may_share_a_prefix(client: httpx.AsyncClient, settings: QueueSettings) -> None:
    await make_item(client, settings, "HJ-QY", prefix="H")
    await make_item(client, settings, "HJ-FH", prefix="H")
    listed = (await client.get("/v1/items", headers=admin(settings))).json()
    assert [(i["code"], i["prefix"]) for i in listed["items"]] == [("HJ-FH", "H"), ("HJ-QY", "H")]


async def test_pages_walk_every_item_once(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    codes = [f"ITEM-{n:02d}" for n in range(7)]
    for code in codes:
        await make_item(client, settings, code)
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 3}
    while True:
        page = (await client.get("/v1/items", params=params, headers=admin(settings))).json()
        seen += [item["code"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == codes


async def test_patch_changes_only_what_is_sent(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    before = await make_item(client, settings, "HJ", prefix="A")
    headers = admin(settings)
    patched = await client.patch(
        "/v1/items/HJ", json={"priority": True, "expected_service_minutes": 25}, headers=headers
    )
    assert patched.json() == before | {"priority": True, "expected_service_minutes": 25}
    refused = await client.patch(
        "/v1/items/HJ", json={"prefix": "a", "remote_allowed": None}, headers=headers
    )
    assert locations(refused) == ["body.prefix", "body.remote_allowed"]
    assert (await client.get("/v1/items/HJ", headers=headers)).json() == patched.json()
    missing = await client.patch("/v1/items/NOPE", json={"name": "x"}, headers=headers)
    assert missing.status_code == 404


async def test_a_deleted_item_disappears_but_its_code_stays_taken(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_item(client, settings, "HJ")
    await make_item(client, settings, "ZJ")
    headers = admin(settings)
    assert (await client.delete("/v1/items/HJ", headers=headers)).status_code == 204

    assert (await client.get("/v1/items/HJ", headers=headers)).status_code == 404
    listed = (await client.get("/v1/items", headers=headers)).json()
    assert [i["code"] for i in listed["items"]] == ["ZJ"]
    assert (await client.delete("/v1/items/HJ", headers=headers)).status_code == 404
    body = {"code": "HJ", "name": "户籍", "prefix": "A", "expected_service_minutes": 10}
    assert (await client.post("/v1/items", json=body, headers=headers)).status_code == 409


async def test_an_item_a_counter_serves_is_not_deleted(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings)
    await make_item(client, settings, "HJ")
    await make_item(client, settings, "ZJ")
    await make_counter(client, settings, "dinghai-01", item_codes=("HJ", "ZJ"))
    await make_counter(client, settings, "dinghai-02", item_codes=("ZJ",))
    headers = admin(settings)

    refused = await client.delete("/v1/items/ZJ", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["counters"] == ["dinghai-01", "dinghai-02"]

    await client.patch("/v1/counters/dinghai-01", json={"item_codes": ["HJ"]}, headers=headers)
    await client.delete("/v1/counters/dinghai-02", headers=headers)
    assert (await client.delete("/v1/items/ZJ", headers=headers)).status_code == 204
