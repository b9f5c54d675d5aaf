"""Rooms follow the queue: a called remote ticket gets a room, its end closes it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import nats
import pytest
from sqlalchemy import select

from cw_shared.db import Database
from cw_shared.events import Event
from cw_shared.local import NatsServer
from cw_shared.tables import OutboxRow
from cw_shared.testing import bearer, eventually
from video_session.config import VideoSettings
from video_session.rooms.models import Room

CALLED = {
    "ticket_id": "t-1",
    "number": "A001",
    "centre_id": "dinghai",
    "counter_id": "w1",
    "clerk_sub": "clerk-1",
    "holder_sub": "citizen-1",
    "agent_sub": "agent-1",
    "station_id": "huaniao",
    "remote": True,
}


async def publish(server: NatsServer, event_type: str, data: dict[str, Any], actor: str) -> None:
    event = Event(source="queue-api", type=event_type, data=data, actor=actor)
    connection = await nats.connect(server.url)
    await connection.jetstream().publish(
        f"cw.{event_type}", event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
    )
    await connection.close()


async def rooms(settings: VideoSettings) -> list[Room]:
    database = Database(settings.database_url)
    async with database.sessionmaker() as session:
        found = list((await session.scalars(select(Room).order_by(Room.opened_at))).all())
    await database.dispose()
    return found


async def events(settings: VideoSettings, event_type: str) -> list[dict[str, Any]]:
    database = Database(settings.database_url)
    async with database.sessionmaker() as session:
        rows = (
            await session.scalars(select(OutboxRow).where(OutboxRow.event_type == event_type))
        ).all()
    await database.dispose()
    return [json.loads(row.envelope)["data"] for row in rows]


@pytest.fixture
async def ticket_room(
    client: httpx.AsyncClient, settings: VideoSettings, nats_server: NatsServer
) -> Room:
    await publish(nats_server, "ticket.called", CALLED, actor="clerk-1")
    [room] = await eventually(lambda: rooms(settings))
    return room


async def test_a_called_remote_ticket_gets_one_room(
    ticket_room: Room, settings: VideoSettings, nats_server: NatsServer
) -> None:
    assert (ticket_room.kind, ticket_room.ticket_id, ticket_room.holder_sub) == (
        "ticket",
        "t-1",
        "citizen-1",
    )
    [opened] = await events(settings, "room.opened")
    assert opened["join_url"].endswith(f"/app/rooms/{ticket_room.id}")
    await publish(nats_server, "ticket.called", CALLED | {"number": "A001"}, actor="clerk-1")
    await publish(
        nats_server,
        "ticket.called",
        CALLED | {"ticket_id": "t-2", "remote": False},
        actor="clerk-1",
    )
    await publish(nats_server, "ticket.called", CALLED | {"ticket_id": "t-3"}, actor="clerk-1")
    found = await eventually(lambda: _at_least(settings, 2))
    assert sorted(r.ticket_id or "" for r in found) == ["t-1", "t-3"]


async def test_the_end_of_the_ticket_closes_its_room(
    ticket_room: Room, settings: VideoSettings, nats_server: NatsServer
) -> None:
    await publish(
        nats_server, "ticket.completed", {"ticket_id": "t-1", "outcome": "done"}, actor="clerk-1"
    )
    [closed] = await eventually(lambda: events(settings, "room.closed"))
    assert (closed["room_id"], closed["reason"]) == (ticket_room.id, "ticket.completed")
    assert closed["duration_seconds"] >= 0


async def test_room_tokens_go_to_the_holder_her_agent_and_the_calling_clerk_only(
    ticket_room: Room, client: httpx.AsyncClient, settings: VideoSettings
) -> None:
    url = f"/v1/rooms/{ticket_room.id}/tokens"
    allowed = {
        "citizen": bearer(settings, "citizen", sub="citizen-1"),
        "agent": bearer(settings, "agent", sub="agent-9", station="huaniao"),
        "clerk": bearer(settings, "clerk", sub="clerk-1", centre="dinghai"),
    }
    for role, headers in allowed.items():
        reply = await client.post(url, headers=headers)
        assert reply.status_code == 201, reply.text
        claims = jwt.decode(
            reply.json()["token"],
            settings.room_token_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=f"room:{ticket_room.id}",
        )
        assert (claims["role"], claims["room"]) == (role, ticket_room.id)
        assert claims["exp"] - time.time() <= settings.room_token_ttl_seconds
    refused = [
        bearer(settings, "citizen", sub="citizen-2"),
        bearer(settings, "agent", sub="agent-2", station="dongji"),
        bearer(settings, "clerk", sub="clerk-2", centre="dinghai"),
        bearer(settings, "expert", sub="expert-1", centre="dinghai"),
    ]
    for headers in refused:
        assert (await client.post(url, headers=headers)).status_code == 403


async def test_an_invited_expert_joins(
    ticket_room: Room, client: httpx.AsyncClient, settings: VideoSettings
) -> None:
    expert = bearer(settings, "expert", sub="expert-1", centre="shiju")
    url = f"/v1/rooms/{ticket_room.id}"
    assert (await client.post(f"{url}/tokens", headers=expert)).status_code == 403
    invited = await client.post(
        f"{url}/invitations",
        json={"expert_sub": "expert-1"},
        headers=bearer(settings, "clerk", sub="clerk-1", centre="dinghai"),
    )
    assert invited.status_code == 201
    token = await client.post(f"{url}/tokens", headers=expert)
    assert token.json()["role"] == "expert"


async def test_turn_credentials_follow_coturns_shared_secret_scheme(
    client: httpx.AsyncClient, settings: VideoSettings, ticket_room: Room
) -> None:
    settings.turn_urls = ["turn:turn.example.org:3478?transport=udp"]
    settings.stun_urls = ["stun:turn.example.org:3478"]
    reply = await client.get(
        f"/v1/rooms/{ticket_room.id}/ice-servers",
        headers=bearer(settings, "citizen", sub="citizen-1"),
    )
    stun, turn = reply.json()["ice_servers"]
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    expiry, sub = turn["username"].split(":", 1)
    assert sub == "citizen-1"
    assert time.time() < int(expiry) <= time.time() + settings.turn_ttl_seconds + 1
    secret = settings.turn_secret.get_secret_value().encode()
    expected = base64.b64encode(hmac.new(secret, turn["username"].encode(), hashlib.sha1).digest())
    assert turn["credential"] == expected.decode()


async def test_a_closed_room_gives_no_tokens(
    ticket_room: Room, client: httpx.AsyncClient, settings: VideoSettings
) -> None:
    clerk = bearer(settings, "clerk", sub="clerk-1", centre="dinghai")
    closed = await client.post(f"/v1/rooms/{ticket_room.id}/close", json={}, headers=clerk)
    assert closed.json()["close_reason"] == "closed_by_clerk"
    again = await client.post(f"/v1/rooms/{ticket_room.id}/tokens", headers=clerk)
    assert again.status_code == 403


async def _at_least(settings: VideoSettings, count: int) -> list[Room] | None:
    found = await rooms(settings)
    return found if len(found) >= count else None
