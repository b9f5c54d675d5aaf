from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from cw_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, problem_doc
from cw_shared.http import require_json
from cw_shared.idempotency import Idempotent
from cw_shared.pagination import Page, Pagination, encode_cursor
from queue_api.centres import service
from queue_api.centres.schemas import CENTRE_ID_PATTERN, Centre, CentreCreate

router = APIRouter(
    prefix="/v1/centres",
    tags=["centres"],
    dependencies=[Depends(require_json)],
    responses=PROBLEM_RESPONSES,
)
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
CentreId = Annotated[str, Path(pattern=CENTRE_ID_PATTERN, examples=["dinghai"])]


@router.post(
    "",
    status_code=201,
    response_model=Centre,
    summary="Create a service centre (admin)",
    responses={409: problem_doc("The id is taken")},
)
async def create_centre(
    body: CentreCreate, session: DbSession, admin: Admin, idem: Idempotent
) -> JSONResponse:
    centre = await service.create_centre(session=session, data=body, actor=admin.sub)
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


@router.get("/{centre_id}", summary="One service centre")
async def get_centre(
    centre_id: CentreId, session: DbSession, _principal: CurrentPrincipal
) -> Centre:
    return Centre.model_validate(await service.get_centre(session=session, centre_id=centre_id))
