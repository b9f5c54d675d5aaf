from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from cw_shared.db import Database
from cw_shared.tables import OutboxRow
from cw_shared.testing import bearer
from video_session.config import VideoSettings


async def test_a_clerk_opens_a_room_at_her_centre_and_it_is_announced(
    client: httpx.AsyncClient, settings: VideoSettings
) -> None:
    response = await client.post(
        "/v1/rooms",
        json={"ticket_id": "A0001"},
        headers=bearer(settings, "clerk", sub="clerk-7", centre="dinghai"),
    )
    assert response.status_code == 201
    room = response.json()
    assert (room["centre_id"], room["ticket_id"], room["opened_by"]) == (
        "dinghai",
        "A0001",
        "clerk-7",
    )
    assert room["join_url"].endswith(f"/app/rooms/{room['id']}")

    database = Database(settings.database_url)
    async with database.sessionmaker() as session:
        [row] = (await session.scalars(select(OutboxRow))).all()
    await database.dispose()
    event = json.loads(row.envelope)
    assert (event["type"], event["source"], event["actor"]) == (
        "room.opened",
        "video-session",
        "clerk-7",
    )
    assert event["data"]["room_id"] == room["id"]
    assert event["requestid"] == response.headers["x-request-id"]


async def test_citizens_cannot_open_rooms(
    client: httpx.AsyncClient, settings: VideoSettings
) -> None:
    response = await client.post("/v1/rooms", json={}, headers=bearer(settings, "citizen"))
    assert response.status_code == 403


async def test_another_centres_clerk_cannot_see_the_room(
    client: httpx.AsyncClient, settings: VideoSettings
) -> None:
    opened = await client.post(
        "/v1/rooms", json={}, headers=bearer(settings, "clerk", centre="dinghai")
    )
    room_id = opened.json()["id"]
    mine = await client.get(
        f"/v1/rooms/{room_id}", headers=bearer(settings, "clerk", centre="dinghai")
    )
    theirs = await client.get(
        f"/v1/rooms/{room_id}", headers=bearer(settings, "clerk", centre="putuo")
    )
    assert mine.status_code == 200
    assert theirs.status_code == 403


async def test_a_retried_open_returns_the_same_room(
    client: httpx.AsyncClient, settings: VideoSettings
) -> None:
    headers = bearer(settings, "clerk", centre="dinghai") | {"Idempotency-Key": "open-1"}
    first = await client.post("/v1/rooms", json={"ticket_id": "A0002"}, headers=headers)
    retry = await client.post("/v1/rooms", json={"ticket_id": "A0002"}, headers=headers)
    assert first.json() == retry.json()
    other_body = await client.post("/v1/rooms", json={"ticket_id": "A0003"}, headers=headers)
    assert other_body.status_code == 422
    assert other_body.json()["type"] == "urn:cw:problem:idempotency-key-reused"


async def test_the_same_key_from_two_clerks_makes_two_rooms(
    client: httpx.AsyncClient, settings: VideoSettings
) -> None:
    key = {"Idempotency-Key": "open-1"}
    one = await client.post(
        "/v1/rooms", json={}, headers=bearer(settings, "clerk", sub="a", centre="c") | key
    )
    two = await client.post(
        "/v1/rooms", json={}, headers=bearer(settings, "clerk", sub="b", centre="c") | key
    )
    assert one.json()["id"] != two.json()["id"]
