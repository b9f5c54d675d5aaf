from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.auth import Principal
from cw_shared.errors import NotFound
from cw_shared.events import Event, new_event, record_event
from video_session.rooms.models import Room
from video_session.rooms.schemas import TicketCalled, TicketEnded

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
        kind="ad_hoc",
        centre_id=clerk.centre,
        ticket_id=ticket_id,
        opened_by=clerk.sub,
        invited=[],
        opened_at=datetime.now(UTC),
    )
    session.add(room)
    await _announce(session, room, public_url, actor=clerk.sub)
    return room


async def _announce(session: AsyncSession, room: Room, public_url: str, *, actor: str) -> None:
    await record_event(
        session,
        new_event(
            "room.opened",
            {
                "room_id": room.id,
                "kind": room.kind,
                "ticket_id": room.ticket_id,
                "centre_id": room.centre_id,
                "join_url": join_url(public_url, room.id),
                "opened_at": room.opened_at.isoformat(),
            },
            source=SOURCE,
            subject=room.id,
            actor=actor,
        ),
    )
    await session.flush()


async def open_for_called_ticket(session: AsyncSession, event: Event, *, public_url: str) -> None:
    """Consumer of ``ticket.called``: a remote ticket is served in a room (one per ticket)."""
    called = TicketCalled.model_validate(event.data)
    if not called.remote:
        return
    if await _open_room_of(session, called.ticket_id) is not None:
        return  # called again after a return: the same room goes on
    room = Room(
        id=uuid.uuid4().hex,
        kind="ticket",
        centre_id=called.centre_id,
        ticket_id=called.ticket_id,
        opened_by=called.clerk_sub or event.actor or SOURCE,
        holder_sub=called.holder_sub,
        agent_sub=called.agent_sub,
        station_id=called.station_id,
        counter_id=called.counter_id,
        invited=[],
        opened_at=datetime.now(UTC),
    )
    session.add(room)
    await _announce(session, room, public_url, actor=room.opened_by)


async def close_for_ended_ticket(session: AsyncSession, event: Event) -> None:
    """Consumer of the ticket's end (completed, no-show, cancelled): its room closes."""
    ended = TicketEnded.model_validate(event.data)
    room = await _open_room_of(session, ended.ticket_id)
    if room is not None:
        await close_room(session=session, room=room, reason=event.type, actor=event.actor)


async def close_room(*, session: AsyncSession, room: Room, reason: str, actor: str | None) -> Room:
    room.closed_at = datetime.now(UTC)
    room.close_reason = reason[:32]
    await record_event(
        session,
        new_event(
            "room.closed",
            {
                "room_id": room.id,
                "ticket_id": room.ticket_id,
                "centre_id": room.centre_id,
                "opened_at": room.opened_at.isoformat(),
                "closed_at": room.closed_at.isoformat(),
                "duration_seconds": round((room.closed_at - room.opened_at).total_seconds(), 1),
                "reason": room.close_reason,
                "recording_id": None,
            },
            source=SOURCE,
            subject=room.id,
            actor=actor,
        ),
    )
    await session.flush()
    return room


async def _open_room_of(session: AsyncSession, ticket_id: str) -> Room | None:
    return await session.scalar(
        select(Room).where(Room.ticket_id == ticket_id, Room.closed_at.is_(None)).limit(1)
    )


async def get_room(*, session: AsyncSession, room_id: str) -> Room:
    room = await session.get(Room, room_id)
    if room is None:
        raise NotFound(f"no room {room_id!r}")
    return room
