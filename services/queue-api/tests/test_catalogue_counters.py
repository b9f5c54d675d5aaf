from __future__ import annotations

import asyncio
from datetime import datetime

import httpx

from cw_shared.testing import bearer
from queue_api.config import QueueSettings

from .catalogue import (
    admin,
    locations,
    make_centre,
    make_counter,
    make_item,
    make_station,
    recorded_events,
)
from .clock import SimulatedClock


async def _catalogue(client: httpx.AsyncClient, settings: QueueSettings) -> None:
    """Two centres, two items, a counter at each centre."""
    await make_centre(client, settings, "dinghai")
    await make_centre(client, settings, "putuo")
    await make_item(client, settings, "HJ", prefix="A")
    await make_item(client, settings, "QY", prefix="P", priority=True)
    await make_counter(client, settings, "dinghai-01", "dinghai", ("HJ", "QY"))
    await make_counter(client, settings, "putuo-01", "putuo", ("HJ",))


async def test_a_counter_serves_existing_items_only(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings)
    await make_item(client, settings, "HJ")
    await make_item(client, settings, "OLD")
    headers = admin(settings)
    assert (await client.delete("/v1/items/OLD", headers=headers)).status_code == 204

    def body(*codes: str) -> dict[str, object]:
        return {"id": "dinghai-01", "centre_id": "dinghai", "name": "1号窗口", "item_codes": codes}

    unknown = await client.post("/v1/counters", json=body("HJ", "NOPE", "OLD"), headers=headers)
    assert locations(unknown) == ["body.item_codes.1", "body.item_codes.2"]
    assert locations(await client.post("/v1/counters", json=body(), headers=headers)) == [
        "body.item_codes"
    ]
    twice = await client.post("/v1/counters", json=body("HJ", "HJ"), headers=headers)
    assert locations(twice) == ["body.item_codes"]
    elsewhere = body("HJ") | {"centre_id": "nowhere"}
    assert locations(await client.post("/v1/counters", json=elsewhere, headers=headers)) == [
        "body.centre_id"
    ]
    assert (await client.get("/v1/counters", headers=headers)).json()["items"] == []

    created = await client.post("/v1/counters", json=body("HJ"), headers=headers)
    assert created.status_code == 201
    assert created.json() | {"created_at": None} == {
        "id": "dinghai-01",
        "centre_id": "dinghai",
        "name": "1号窗口",
        "item_codes": ["HJ"],
        "is_open": False,
        "clerk_sub": None,
        "opened_at": None,
        "created_at": None,
    }


async def test_a_clerk_opens_a_counter_of_her_centre_once(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    client = app_client
    await _catalogue(client, settings)
    li = bearer(settings, "clerk", sub="clerk-li", centre="dinghai")

    opened = await client.post("/v1/counters/dinghai-01/open", headers=li)
    assert opened.status_code == 200
    assert (opened.json()["is_open"], opened.json()["clerk_sub"]) == (True, "clerk-li")
    assert datetime.fromisoformat(opened.json()["opened_at"]) == clock.now()
    clock.advance(minutes=5)
    again = await client.post("/v1/counters/dinghai-01/open", headers=li)
    assert again.json() == opened.json()  # still opened at the first time

    events = await recorded_events(settings, "counter.opened")
    assert [(e["data"], e["actor"]) for e in events] == [
        (
            {
                "counter_id": "dinghai-01",
                "centre_id": "dinghai",
                "clerk_sub": "clerk-li",
                "item_codes": ["HJ", "QY"],
            },
            "clerk-li",
        )
    ]


async def test_a_second_clerk_cannot_take_an_open_counter(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await _catalogue(client, settings)
    li = bearer(settings, "clerk", sub="clerk-li", centre="dinghai")
    wang = bearer(settings, "clerk", sub="clerk-wang", centre="dinghai")
    await client.post("/v1/counters/dinghai-01/open", headers=li)

    taken = await client.post("/v1/counters/dinghai-01/open", headers=wang)
    assert taken.status_code == 409
    assert taken.json()["type"] == "urn:cw:problem:conflict"
    assert (taken.json()["is_open"], taken.json()["clerk_sub"]) == (True, "clerk-li")
    closing = await client.post("/v1/counters/dinghai-01/close", headers=wang)
    assert closing.status_code == 403
    counter = (await client.get("/v1/counters/dinghai-01", headers=wang)).json()
    assert counter["clerk_sub"] == "clerk-li"


async def test_clerks_opening_one_counter_at_once_get_it_one_at_a_time(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await _catalogue(client, settings)
    clerks = [bearer(settings, "clerk", sub=f"clerk-{n}", centre="dinghai") for n in range(5)]
    responses = await asyncio.gather(
        *(client.post("/v1/counters/dinghai-01/open", headers=clerk) for clerk in clerks)
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409]
    winner = next(r.json()["clerk_sub"] for r in responses if r.status_code == 200)
    assert {r.json()["clerk_sub"] for r in responses} == {winner}
    assert len(await recorded_events(settings, "counter.opened")) == 1


async def test_only_a_clerk_of_the_counters_centre_opens_it(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await _catalogue(client, settings)
    for headers in (
        bearer(settings, "clerk", sub="clerk-zhou", centre="putuo"),
        bearer(settings, "expert", centre="dinghai"),
        admin(settings),
        bearer(settings, "agent", station="huaniao"),
    ):
        response = await client.post("/v1/counters/dinghai-01/open", headers=headers)
        assert response.status_code == 403
    counter = (await client.get("/v1/counters/dinghai-01", headers=admin(settings))).json()
    assert counter["is_open"] is False
    assert await recorded_events(settings, "counter.opened") == []
    nowhere = await client.post(
        "/v1/counters/nowhere/open", headers=bearer(settings, "clerk", centre="dinghai")
    )
    assert nowhere.status_code == 404


async def test_the_opening_clerk_or_an_admin_closes_a_counter(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await _catalogue(client, settings)
    li = bearer(settings, "clerk", sub="clerk-li", centre="dinghai")
    await client.post("/v1/counters/dinghai-01/open", headers=li)

    closed = await client.post("/v1/counters/dinghai-01/close", headers=li)
    assert closed.status_code == 200
    assert (closed.json()["is_open"], closed.json()["clerk_sub"], closed.json()["opened_at"]) == (
        False,
        None,
        None,
    )
    again = await client.post("/v1/counters/dinghai-01/close", headers=li)
    assert again.status_code == 409
    assert again.json()["is_open"] is False

    await client.post("/v1/counters/dinghai-01/open", headers=li)
    by_admin = await client.post("/v1/counters/dinghai-01/close", headers=admin(settings))
    assert by_admin.json()["is_open"] is False

    events = await recorded_events(settings, "counter.closed")
    assert [(e["data"]["clerk_sub"], e["actor"]) for e in events] == [
        ("clerk-li", "clerk-li"),
        ("clerk-li", "admin-1"),
    ]
    assert events[0]["data"]["item_codes"] == ["HJ", "QY"]


async def test_an_open_counter_is_not_deleted_and_a_deleted_one_is_gone(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await _catalogue(client, settings)
    li = bearer(settings, "clerk", sub="clerk-li", centre="dinghai")
    headers = admin(settings)
    await client.post("/v1/counters/dinghai-01/open", headers=li)

    refused = await client.delete("/v1/counters/dinghai-01", headers=headers)
    assert refused.status_code == 409
    assert (refused.json()["is_open"], refused.json()["clerk_sub"]) == (True, "clerk-li")

    await client.post("/v1/counters/dinghai-01/close", headers=li)
    assert (await client.delete("/v1/counters/dinghai-01", headers=headers)).status_code == 204
    assert (await client.get("/v1/counters/dinghai-01", headers=headers)).status_code == 404
    listed = (await client.get("/v1/counters", headers=headers)).json()
    assert [c["id"] for c in listed["items"]] == ["putuo-01"]
    assert (await client.post("/v1/counters/dinghai-01/open", headers=li)).status_code == 404
    assert (await client.delete("/v1/counters/dinghai-01", headers=headers)).status_code == 404


async def test_each_role_reads_the_counters_it_may(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await _catalogue(client, settings)
    await make_station(client, settings, "huaniao", "putuo")

    async def listed(headers: dict[str, str], **params: str) -> list[str]:
        response = await client.get("/v1/counters", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert await listed(admin(settings)) == ["dinghai-01", "putuo-01"]
    assert await listed(bearer(settings, "integrator"), centre_id="putuo") == ["putuo-01"]
    clerk = bearer(settings, "clerk", centre="dinghai")
    assert await listed(clerk) == ["dinghai-01"]
    assert await listed(clerk, centre_id="dinghai") == ["dinghai-01"]
    agent = bearer(settings, "agent", station="huaniao")
    assert await listed(agent) == ["putuo-01"]
    assert (await client.get("/v1/counters/putuo-01", headers=agent)).status_code == 200

    forbidden = [
        client.get("/v1/counters", params={"centre_id": "putuo"}, headers=clerk),
        client.get("/v1/counters/putuo-01", headers=clerk),
        client.get("/v1/counters/dinghai-01", headers=agent),
        client.get("/v1/counters", headers=bearer(settings, "agent", station="gone")),
        client.get("/v1/counters", headers=bearer(settings, "citizen")),
    ]
    for attempt in forbidden:
        assert (await attempt).status_code == 403


async def test_patch_renames_and_changes_items_atomically(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await _catalogue(client, settings)
    headers = admin(settings)
    refused = await client.patch(
        "/v1/counters/dinghai-01",
        json={"name": "快办窗口", "item_codes": ["QY", "X"]},
        headers=headers,
    )
    assert locations(refused) == ["body.item_codes.1"]
    unchanged = (await client.get("/v1/counters/dinghai-01", headers=headers)).json()
    assert (unchanged["name"], unchanged["item_codes"]) == ("dinghai-01 窗口", ["HJ", "QY"])

    patched = await client.patch(
        "/v1/counters/dinghai-01", json={"name": "快办窗口", "item_codes": ["QY"]}, headers=headers
    )
    assert (patched.json()["name"], patched.json()["item_codes"]) == ("快办窗口", ["QY"])
    clerk = bearer(settings, "clerk", centre="dinghai")
    by_clerk = await client.patch("/v1/counters/dinghai-01", json={"name": "x"}, headers=clerk)
    assert by_clerk.status_code == 403


async def test_pages_walk_every_counter_once(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings)
    await make_item(client, settings)
    ids = [f"dinghai-{n:02d}" for n in range(5)]
    for counter_id in ids:
        await make_counter(client, settings, counter_id)
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    clerk = bearer(settings, "clerk", centre="dinghai")
    while True:
        page = (await client.get("/v1/counters", params=params, headers=clerk)).json()
        seen += [c["id"] for c in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ids
