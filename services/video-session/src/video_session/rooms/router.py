from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.auth import Principal, Role, ensure_centre, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, Forbidden, problem_doc
from cw_shared.events import Event
from cw_shared.events.bus import Bus
from cw_shared.http import require_json
from cw_shared.idempotency import Idempotent
from video_session.config import VideoSettings
from video_session.rooms import access, service
from video_session.rooms.models import Room
from video_session.rooms.schemas import (
    CloseRoom,
    IceServers,
    Invitation,
    RoomCreate,
    RoomOut,
    RoomToken,
)

router = APIRouter(
    prefix="/v1/rooms",
    tags=["rooms"],
    dependencies=[Depends(require_json)],
    responses=PROBLEM_RESPONSES,
)
Clerk = Annotated[Principal, Depends(require_roles(Role.CLERK))]
Staff = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.EXPERT, Role.ADMIN))]


def _out(room: Room, request: Request) -> RoomOut:
    return RoomOut(
        id=room.id,
        kind=room.kind,
        counter_id=room.counter_id,
        close_reason=room.close_reason,
        centre_id=room.centre_id,
        ticket_id=room.ticket_id,
        opened_by=room.opened_by,
        opened_at=room.opened_at,
        closed_at=room.closed_at,
        join_url=service.join_url(request.app.state.settings.public_url, room.id),
    )


@router.post("", status_code=201, response_model=RoomOut, summary="Open a room (clerk)")
async def open_room(
    body: RoomCreate, request: Request, session: DbSession, clerk: Clerk, idem: Idempotent
) -> JSONResponse:
    room = await service.open_room(
        session=session,
        clerk=clerk,
        ticket_id=body.ticket_id,
        public_url=request.app.state.settings.public_url,
    )
    return await idem.remember(_out(room, request), status_code=201)


@router.get(
    "/{room_id}",
    summary="One room (the centre's staff)",
    responses={404: problem_doc("No such room")},
)
async def get_room(
    room_id: Annotated[str, Path(max_length=64)], request: Request, session: DbSession, staff: Staff
) -> RoomOut:
    room = await service.get_room(session=session, room_id=room_id)
    ensure_centre(staff, room.centre_id)
    return _out(room, request)


Participant = Annotated[
    Principal,
    Depends(require_roles(Role.CITIZEN, Role.AGENT, Role.CLERK, Role.EXPERT)),
]
RoomId = Annotated[str, Path(max_length=64)]
NOT_YOURS: dict[int | str, dict[str, Any]] = {
    403: problem_doc("Not a participant of this room, or the room is closed"),
    404: problem_doc("No such room"),
}


def _settings(request: Request) -> VideoSettings:
    settings: VideoSettings = request.app.state.settings
    return settings


@router.post(
    "/{room_id}/tokens",
    status_code=201,
    summary="A short-lived token to join the room, with ICE servers (participants only)",
    responses=NOT_YOURS,
)
async def room_token(
    room_id: RoomId, request: Request, session: DbSession, participant: Participant
) -> RoomToken:
    room = await service.get_room(session=session, room_id=room_id)
    role = access.role_in_room(room, participant)
    settings = _settings(request)
    token, expires = access.mint_room_token(settings, room, participant.sub, role)
    return RoomToken(
        room_id=room.id,
        role=role,
        token=token,
        expires_at=expires,
        ice_servers=access.ice_servers(settings, participant.sub),
    )


@router.get(
    "/{room_id}/ice-servers",
    summary="STUN/TURN servers with short-lived TURN credentials (participants only)",
    responses=NOT_YOURS,
)
async def room_ice_servers(
    room_id: RoomId, request: Request, session: DbSession, participant: Participant
) -> IceServers:
    room = await service.get_room(session=session, room_id=room_id)
    access.role_in_room(room, participant)
    settings = _settings(request)
    return IceServers(
        ice_servers=access.ice_servers(settings, participant.sub),
        ttl_seconds=settings.turn_ttl_seconds,
    )


@router.post(
    "/{room_id}/invitations",
    status_code=201,
    summary="Invite a back-office expert into the room (多部门会诊; the room's clerk)",
    responses=NOT_YOURS,
)
async def invite(
    room_id: RoomId, body: Invitation, request: Request, session: DbSession, clerk: Clerk
) -> RoomOut:
    room = await service.get_room(session=session, room_id=room_id)
    if access.role_in_room(room, clerk) != "clerk":
        raise Forbidden("only the room's clerk invites")
    room.invited = sorted({*(room.invited or []), body.expert_sub})
    return _out(room, request)


@router.post(
    "/{room_id}/close",
    summary="Close the room (its clerk, or an admin)",
    responses=NOT_YOURS,
)
async def close(
    room_id: RoomId, body: CloseRoom, request: Request, session: DbSession, staff: Staff
) -> RoomOut:
    room = await service.get_room(session=session, room_id=room_id)
    if staff.role is not Role.ADMIN:
        access.role_in_room(room, staff)
        if room.opened_by != staff.sub:
            raise Forbidden("only the room's clerk closes it")
    await service.close_room(session=session, room=room, reason="closed_by_clerk", actor=staff.sub)
    return _out(room, request)


def register_consumers(bus: Bus, settings: VideoSettings) -> None:
    async def on_called(session: AsyncSession, event: Event) -> None:
        await service.open_for_called_ticket(session, event, public_url=settings.public_url)

    bus.consumer("ticket.called")(on_called)
    for ended in ("ticket.completed", "ticket.no_show", "ticket.cancelled"):
        bus.consumer(ended)(service.close_for_ended_ticket)
