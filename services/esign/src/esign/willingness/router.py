from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from cw_shared.auth import Principal, Role, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES
from cw_shared.events.bus import Bus
from esign.willingness import service
from esign.willingness.schemas import Willingness

router = APIRouter(prefix="/v1/subjects", tags=["willingness"], responses=PROBLEM_RESPONSES)
Staff = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.ADMIN))]


@router.get(
    "/{subject}/willingness",
    summary="Whether the subject passed face verification in this room recently enough to sign",
)
async def get_willingness(
    subject: Annotated[str, Path(max_length=128, examples=["citizen-7f3a"])],
    room_id: Annotated[str, Query(max_length=64, description="The video room of the session")],
    request: Request,
    session: DbSession,
    _staff: Staff,
) -> Willingness:
    window = timedelta(minutes=request.app.state.settings.willingness_window_minutes)
    return await service.willingness(
        session=session, subject=subject, room_id=room_id, window=window
    )


def register_consumers(bus: Bus) -> None:
    bus.consumer("face.verified")(service.record_face_verified)
