"""One service's event reaches another's handler: outbox → relay → nats-server → inbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cw_shared.db import Database
from cw_shared.local import NatsServer
from cw_shared.tables import InboxRow
from cw_shared.testing import bearer, eventually, migrated_and_running
from queue_api.rooms.models import TicketRoom

from .conftest import SERVICES, settings_for


@pytest.fixture
def flaky_room_links() -> Iterator[list[int]]:
    """queue-api's database refuses the first two attempts to store a room link."""
    attempts: list[int] = []

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        if any(isinstance(obj, TicketRoom) for obj in session.new):
            attempts.append(1)
            if len(attempts) <= 2:
                raise RuntimeError("database is being failed over")

    event.listen(Session, "before_flush", before_flush)
    yield attempts
    event.remove(Session, "before_flush", before_flush)


async def test_a_room_opened_by_a_clerk_reaches_queue_api_exactly_once_despite_two_failures(
    database_url: str, nats_server: NatsServer, tmp_path: Path, flaky_room_links: list[int]
) -> None:
    video, queue = SERVICES["video-session"], SERVICES["queue-api"]
    video_settings = settings_for(
        video, f"sqlite+aiosqlite:///{tmp_path / 'video.db'}", nats_server.url, tmp_path
    )
    queue_settings = settings_for(queue, database_url, nats_server.url, tmp_path)
    clerk = bearer(video_settings, "clerk", sub="clerk-7", centre="dinghai")

    async with (
        migrated_and_running(video.directory, video.create_app, video_settings) as video_client,
        migrated_and_running(queue.directory, queue.create_app, queue_settings) as queue_client,
    ):
        opened = await video_client.post("/v1/rooms", json={"ticket_id": "A0007"}, headers=clerk)
        assert opened.status_code == 201
        room = opened.json()

        async def linked() -> dict[str, Any] | None:
            response = await queue_client.get("/v1/tickets/A0007/room", headers=clerk)
            return response.json() if response.status_code == 200 else None

        link = await eventually(linked, timeout=20)
        assert (link["room_id"], link["join_url"]) == (room["id"], room["join_url"])
        assert len(flaky_room_links) == 3

        database = Database(queue_settings.database_url)
        async with database.sessionmaker() as session:
            rooms = await session.scalar(select(func.count()).select_from(TicketRoom))
            handled = await session.scalar(select(func.count()).select_from(InboxRow))
        await database.dispose()
        assert (rooms, handled) == (1, 1)

        other_centre = bearer(queue_settings, "clerk", centre="putuo")
        hidden = await queue_client.get("/v1/tickets/A0007/room", headers=other_centre)
        assert hidden.status_code == 403


async def test_calling_a_remote_ticket_opens_a_room_that_the_queue_shows_its_holder(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    """The main job: agent takes a number → clerk calls → video-session opens a room →
    queue-api knows where the resident joins, and the room admits her."""
    from datetime import UTC, datetime

    from queue_api.centres.models import ServiceCentre
    from queue_api.counters.models import Counter
    from queue_api.items.models import ServiceItem
    from queue_api.stations.models import Station

    video, queue = SERVICES["video-session"], SERVICES["queue-api"]
    video_settings = settings_for(
        video, f"sqlite+aiosqlite:///{tmp_path / 'v.db'}", nats_server.url, tmp_path
    )
    queue_settings = settings_for(
        queue, f"sqlite+aiosqlite:///{tmp_path / 'q.db'}", nats_server.url, tmp_path
    )
    async with (
        migrated_and_running(video.directory, video.create_app, video_settings) as video_client,
        migrated_and_running(queue.directory, queue.create_app, queue_settings) as queue_client,
    ):
        now = datetime.now(UTC)
        database = Database(queue_settings.database_url)
        async with database.sessionmaker() as session, session.begin():
            all_day = {
                d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            }
            session.add(
                ServiceCentre(
                    id="dinghai",
                    name="定海",
                    timezone="Asia/Shanghai",
                    opening_hours=all_day,
                    interleave=[],
                    created_at=now,
                )
            )
            await session.flush()
            session.add_all(
                [
                    ServiceItem(
                        code="HJ",
                        name="户籍",
                        prefix="A",
                        priority=False,
                        expected_service_minutes=1,
                        remote_allowed=True,
                        created_at=now,
                    ),
                    Station(
                        id="huaniao",
                        centre_id="dinghai",
                        name="花鸟岛",
                        heartbeat_at=now,
                        created_at=now,
                    ),
                ]
            )
            await session.flush()
            session.add(
                Counter(
                    id="w1",
                    centre_id="dinghai",
                    name="1号窗口",
                    item_codes=["HJ"],
                    is_open=True,
                    clerk_sub="clerk-1",
                    opened_at=now,
                    call_cursor=0,
                    created_at=now,
                )
            )
        await database.dispose()

        agent = bearer(queue_settings, "agent", sub="agent-1", station="huaniao")
        taken = await queue_client.post(
            "/v1/tickets",
            json={"centre_id": "dinghai", "item_code": "HJ", "holder_sub": "citizen-1"},
            headers=agent | {"Idempotency-Key": "island-1"},
        )
        ticket = taken.json()
        clerk = bearer(queue_settings, "clerk", sub="clerk-1", centre="dinghai")
        assert (
            await queue_client.post("/v1/counters/w1/call-next", headers=clerk)
        ).status_code == 200

        async def room() -> dict[str, Any] | None:
            reply = await queue_client.get(f"/v1/tickets/{ticket['id']}/room", headers=clerk)
            return reply.json() if reply.status_code == 200 else None

        link = await eventually(room, timeout=20)
        for who in (bearer(video_settings, "citizen", sub="citizen-1"), agent, clerk):
            token = await video_client.post(f"/v1/rooms/{link['room_id']}/tokens", headers=who)
            assert token.status_code == 201

        serving = await queue_client.post(f"/v1/tickets/{ticket['id']}/serve", headers=clerk)
        assert serving.status_code == 200
        await queue_client.post(
            f"/v1/tickets/{ticket['id']}/complete",
            json={"outcome": "done", "case_number": "330902-2026-000001"},
            headers=clerk,
        )

        async def closed() -> bool:
            reply = await video_client.get(f"/v1/rooms/{link['room_id']}", headers=clerk)
            return reply.json()["closed_at"] is not None

        assert await eventually(closed, timeout=20)
