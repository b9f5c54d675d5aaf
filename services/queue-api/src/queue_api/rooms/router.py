from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from cw_shared.auth import Principal, Role, ensure_centre, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, problem_doc
from cw_shared.events.bus import Bus
from queue_api.rooms import service
from queue_api.rooms.schemas import TicketRoomOut

router = APIRouter(prefix="/v1/tickets", tags=["rooms"], responses=PROBLEM_RESPONSES)
Staff = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.EXPERT, Role.ADMIN))]


@router.get(
    "/{ticket_id}/room",
    summary="The video room opened for a ticket (the centre's staff)",
    responses={404: problem_doc("No room has been opened for this ticket")},
)
async def ticket_room(
    ticket_id: Annotated[str, Path(max_length=64, examples=["T-20261123-0001"])],
    session: DbSession,
    staff: Staff,
) -> TicketRoomOut:
    room = await service.latest_room_for_ticket(session=session, ticket_id=ticket_id)
    ensure_centre(staff, room.centre_id)
    return TicketRoomOut.model_validate(room)


def register_consumers(bus: Bus) -> None:
    bus.consumer("room.opened")(service.record_room_opened)
