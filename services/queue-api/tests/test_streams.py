from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import nats

from cw_shared.events import Event
from cw_shared.local import NatsServer
from cw_shared.testing import bearer
from queue_api.config import QueueSettings

from .seed import seed
from .sse import open_stream


async def take(client: httpx.AsyncClient, settings: QueueSettings, who: str) -> dict[str, str]:
    response = await client.post(
        "/v1/tickets",
        json={"centre_id": "dinghai", "item_code": "HJ"},
        headers=bearer(settings, "citizen", sub=who) | {"Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201
    result: dict[str, str] = response.json()
    return result


async def test_a_board_that_reconnects_gets_exactly_what_it_missed(
    live: str, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    clerk = bearer(settings, "clerk", sub="clerk-1", centre="dinghai")
    board = "/v1/centres/dinghai/board/stream"
    async with httpx.AsyncClient(base_url=live) as client:
        for n in range(3):
            await take(client, settings, f"c{n}")
        async with open_stream(client, board, clerk) as stream:
            assert (await stream.next()).event == "board"
            await client.post("/v1/counters/w1/call-next", headers=clerk)
            first = await stream.next()
            assert (first.event, first.data["number"]) == ("ticket.called", "A001")

        # The board is offline while two more are called and someone takes a number.
        await client.post(
            "/v1/counters/w2/call-next",
            headers=bearer(settings, "clerk", sub="clerk-2", centre="dinghai"),
        )
        await take(client, settings, "c9")
        await client.post(f"/v1/tickets/{first.data['ticket_id']}/recall", headers=clerk)

        resumed = clerk | {"Last-Event-ID": str(first.id)}
        async with open_stream(client, board, resumed) as stream:
            missed = [await stream.next(), await stream.next()]
            assert [(e.event, e.data["number"]) for e in missed] == [
                ("ticket.called", "A002"),
                ("ticket.recalled", "A001"),
            ]
            assert int(missed[0].id or 0) > int(first.id or 0)
            assert await stream.silent_for(0.5)


async def test_a_ticket_stream_shows_the_queue_moving_and_the_call(
    live: str, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    clerk = bearer(settings, "clerk", sub="clerk-1", centre="dinghai")
    async with httpx.AsyncClient(base_url=live) as client:
        await take(client, settings, "c1")
        mine = await take(client, settings, "c2")
        me = bearer(settings, "citizen", sub="c2")
        url = f"/v1/tickets/{mine['id']}/stream"
        async with open_stream(client, url, me) as stream:
            state = await stream.next()
            assert (state.event, state.data["position"]) == ("state", 2)
            await client.post("/v1/counters/w1/call-next", headers=clerk)
            moved = await stream.next()
            assert (moved.event, moved.data["position"]) == ("state", 1)
            last_seen = moved.id

        await client.post(
            "/v1/counters/w2/call-next",
            headers=bearer(settings, "clerk", sub="clerk-2", centre="dinghai"),
        )
        async with open_stream(client, url, me | {"Last-Event-ID": str(last_seen)}) as stream:
            called = await stream.next()
            assert (called.event, called.data["counter_id"]) == ("ticket.called", "w2")
            now = await stream.next()
            assert (now.event, now.data["state"], now.data["position"]) == ("state", "called", None)

        stranger = bearer(settings, "citizen", sub="c1")
        assert (await client.get(url, headers=stranger)).status_code == 404


async def test_a_citizen_cannot_watch_the_board(live: str, settings: QueueSettings) -> None:
    await seed(settings.database_url)
    async with httpx.AsyncClient(base_url=live) as client:
        response = await client.get(
            "/v1/centres/dinghai/board/stream", headers=bearer(settings, "citizen")
        )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_holder_learns_where_to_join_when_the_room_opens(
    live: str, settings: QueueSettings, nats_server: NatsServer
) -> None:
    await seed(settings.database_url)
    async with httpx.AsyncClient(base_url=live) as client:
        mine = await take(client, settings, "c1")
        me = bearer(settings, "citizen", sub="c1")
        async with open_stream(client, f"/v1/tickets/{mine['id']}/stream", me) as stream:
            assert (await stream.next()).data["room"] is None
            await client.post(
                "/v1/counters/w1/call-next",
                headers=bearer(settings, "clerk", sub="clerk-1", centre="dinghai"),
            )
            assert (await stream.next()).event == "ticket.called"
            await stream.next()  # the state: called
            opened = Event(
                source="video-session",
                type="room.opened",
                data={
                    "room_id": "r1",
                    "ticket_id": mine["id"],
                    "centre_id": "dinghai",
                    "join_url": "http://127.0.0.1:8102/app/rooms/r1",
                    "opened_at": datetime.now(UTC).isoformat(),
                },
            )
            connection = await nats.connect(nats_server.url)
            await connection.jetstream().publish(
                "cw.room.opened",
                opened.model_dump_json().encode(),
                headers={"Nats-Msg-Id": opened.id},
            )
            await connection.close()
            room = await stream.next(timeout=10)
            assert (room.event, room.data["join_url"]) == ("room.opened", opened.data["join_url"])
            state = await stream.next()
            assert state.data["room"] == {"room_id": "r1", "join_url": opened.data["join_url"]}
