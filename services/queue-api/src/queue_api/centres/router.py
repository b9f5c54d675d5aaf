from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse

from cw_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, problem_doc
from cw_shared.http import require_json
from cw_shared.idempotency import Idempotent
from cw_shared.pagination import Page, Pagination, encode_cursor
from queue_api.centres import service
from queue_api.centres.schemas import (
    CENTRE_ID_PATTERN,
    Centre,
    CentreCreate,
    CentreUpdate,
    Holiday,
    HolidaySet,
)
from queue_api.clock import AppClock

router = APIRouter(
    prefix="/v1/centres",
    tags=["centres"],
    dependencies=[Depends(require_json)],
    responses=PROBLEM_RESPONSES,
)
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
CentreId = Annotated[str, Path(pattern=CENTRE_ID_PATTERN, examples=["dinghai"])]
Day = Annotated[date, Path(description="The local date", examples=["2026-10-01"])]
NO_CENTRE = problem_doc("No such centre, or it was deleted")


@router.post(
    "",
    status_code=201,
    response_model=Centre,
    summary="Create a service centre (admin)",
    responses={409: problem_doc("The id is taken (also by a deleted centre)")},
)
async def create_centre(
    body: CentreCreate, session: DbSession, admin: Admin, idem: Idempotent, clock: AppClock
) -> JSONResponse:
    centre = await service.create_centre(
        session=session, data=body, actor=admin.sub, now=clock.now()
    )
    return await idem.remember(Centre.model_validate(centre), status_code=201)


@router.get("", summary="List service centres")
async def list_centres(
    session: DbSession, _principal: CurrentPrincipal, page: Pagination
) -> Page[Centre]:
    after_id = str(page.after[0]) if page.after else None
    centres = await service.list_centres(session=session, limit=page.limit, after_id=after_id)
    items = [Centre.model_validate(c) for c in centres]
    next_cursor = encode_cursor([items[-1].id]) if len(items) == page.limit else None
    return Page[Centre](items=items, next_cursor=next_cursor)


@router.get("/{centre_id}", summary="One service centre", responses={404: NO_CENTRE})
async def get_centre(
    centre_id: CentreId, session: DbSession, _principal: CurrentPrincipal
) -> Centre:
    return Centre.model_validate(await service.get_centre(session=session, centre_id=centre_id))


@router.patch(
    "/{centre_id}",
    summary="Change a centre's name, hours or calling policy (admin)",
    responses={404: NO_CENTRE},
)
async def update_centre(
    centre_id: CentreId, body: CentreUpdate, session: DbSession, admin: Admin
) -> Centre:
    centre = await service.update_centre(
        session=session, centre_id=centre_id, data=body, actor=admin.sub
    )
    return Centre.model_validate(centre)


@router.delete(
    "/{centre_id}",
    status_code=204,
    summary="Delete a centre that has no stations or counters left (admin)",
    responses={
        404: NO_CENTRE,
        409: problem_doc("The centre still has stations or counters; `stations`, `counters`"),
    },
)
async def delete_centre(
    centre_id: CentreId, session: DbSession, admin: Admin, clock: AppClock
) -> Response:
    await service.delete_centre(
        session=session, centre_id=centre_id, actor=admin.sub, now=clock.now()
    )
    return Response(status_code=204)


@router.get(
    "/{centre_id}/holidays",
    summary="A centre's holidays in a year",
    responses={404: NO_CENTRE},
)
async def list_holidays(
    centre_id: CentreId,
    session: DbSession,
    _principal: CurrentPrincipal,
    clock: AppClock,
    year: Annotated[
        int | None,
        Query(ge=2000, le=2100, description="Default: the current year at the centre"),
    ] = None,
) -> list[Holiday]:
    holidays = await service.list_holidays(
        session=session, centre_id=centre_id, year=year, now=clock.now()
    )
    return [Holiday.model_validate(h) for h in holidays]


@router.put(
    "/{centre_id}/holidays/{day}",
    summary="Make a day a holiday, or rename it (admin)",
    responses={404: NO_CENTRE},
)
async def set_holiday(
    centre_id: CentreId, day: Day, body: HolidaySet, session: DbSession, admin: Admin
) -> Holiday:
    holiday = await service.set_holiday(
        session=session, centre_id=centre_id, day=day, name=body.name, actor=admin.sub
    )
    return Holiday.model_validate(holiday)


@router.delete(
    "/{centre_id}/holidays/{day}",
    status_code=204,
    summary="Make a holiday an ordinary day again (admin)",
    responses={404: problem_doc("No such centre, or the day is not one of its holidays")},
)
async def delete_holiday(
    centre_id: CentreId, day: Day, session: DbSession, admin: Admin
) -> Response:
    await service.delete_holiday(session=session, centre_id=centre_id, day=day, actor=admin.sub)
    return Response(status_code=204)
