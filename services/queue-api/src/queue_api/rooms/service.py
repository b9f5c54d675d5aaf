from __future__ import annotations

from datetime import UTC

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.errors import NotFound
from cw_shared.events import Event
from queue_api.feed.service import record_feed
from queue_api.rooms.models import TicketRoom
from queue_api.rooms.schemas import RoomOpened


async def record_room_opened(session: AsyncSession, event: Event) -> None:
    """Consumer of ``room.opened``: remember where a ticket's holder joins."""
    opened = RoomOpened.model_validate(event.data)
    if opened.ticket_id is not None:
        # The ticket's stream tells its holder where to join.
        await record_feed(
            session,
            centre_id=opened.centre_id,
            ticket_id=opened.ticket_id,
            kind="room.opened",
            data={"room_id": opened.room_id, "join_url": opened.join_url},
            at=opened.opened_at,
        )
    session.add(
        TicketRoom(
            room_id=opened.room_id,
            ticket_id=opened.ticket_id,
            centre_id=opened.centre_id,
            join_url=opened.join_url,
            opened_at=opened.opened_at.astimezone(UTC),
        )
    )


async def latest_room_for_ticket(*, session: AsyncSession, ticket_id: str) -> TicketRoom:
    room = await session.scalar(
        select(TicketRoom)
        .where(TicketRoom.ticket_id == ticket_id)
        .order_by(TicketRoom.opened_at.desc())
        .limit(1)
    )
    if room is None:
        raise NotFound(f"no room has been opened for ticket {ticket_id!r}")
    return room
