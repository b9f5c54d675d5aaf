from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from cw_shared.auth import Principal, Role, ensure_centre, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, problem_doc
from cw_shared.http import require_json
from cw_shared.idempotency import Idempotent
from video_session.rooms import service
from video_session.rooms.models import Room
from video_session.rooms.schemas import RoomCreate, RoomOut

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
