from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.auth import Principal
from cw_shared.errors import NotFound
from cw_shared.events import new_event, record_event
from video_session.rooms.models import Room

SOURCE = "video-session"


def join_url(public_url: str, room_id: str) -> str:
    return f"{public_url.rstrip('/')}/app/rooms/{room_id}"


async def open_room(
    *, session: AsyncSession, clerk: Principal, ticket_id: str | None, public_url: str
) -> Room:
    """Open an ad-hoc room at the clerk's centre and announce it (``room.opened``)."""
    assert clerk.centre is not None
    room = Room(
        id=uuid.uuid4().hex,
        centre_id=clerk.centre,
        ticket_id=ticket_id,
        opened_by=clerk.sub,
        opened_at=datetime.now(UTC),
    )
    session.add(room)
    await record_event(
        session,
        new_event(
            "room.opened",
            {
                "room_id": room.id,
                "ticket_id": room.ticket_id,
                "centre_id": room.centre_id,
                "join_url": join_url(public_url, room.id),
                "opened_at": room.opened_at.isoformat(),
            },
            source=SOURCE,
            subject=room.id,
            actor=clerk.sub,
        ),
    )
    await session.flush()
    return room


async def get_room(*, session: AsyncSession, room_id: str) -> Room:
    room = await session.get(Room, room_id)
    if room is None:
        raise NotFound(f"no room {room_id!r}")
    return room
