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
