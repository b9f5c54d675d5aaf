from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import JSONResponse

from cw_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, problem_doc
from cw_shared.http import require_json
from cw_shared.idempotency import Idempotent
from cw_shared.pagination import Page, Pagination, encode_cursor
from queue_api.clock import AppClock
from queue_api.items import service
from queue_api.items.schemas import ITEM_CODE_PATTERN, Item, ItemCreate, ItemUpdate

router = APIRouter(
    prefix="/v1/items",
    tags=["items"],
    dependencies=[Depends(require_json)],
    responses=PROBLEM_RESPONSES,
)
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Code = Annotated[str, Path(pattern=ITEM_CODE_PATTERN, examples=["HJ-QY"])]
NO_ITEM = problem_doc("No such item, or it was deleted")


@router.post(
    "",
    status_code=201,
    response_model=Item,
    summary="Create a service item (admin)",
    responses={409: problem_doc("The code is taken (also by a deleted item)")},
)
async def create_item(
    body: ItemCreate, session: DbSession, _admin: Admin, idem: Idempotent, clock: AppClock
) -> JSONResponse:
    item = await service.create_item(session=session, data=body, now=clock.now())
    return await idem.remember(Item.model_validate(item), status_code=201)


@router.get("", summary="List service items")
async def list_items(
    session: DbSession, _principal: CurrentPrincipal, page: Pagination
) -> Page[Item]:
    after_code = str(page.after[0]) if page.after else None
    items = [
        Item.model_validate(item)
        for item in await service.list_items(
            session=session, limit=page.limit, after_code=after_code
        )
    ]
    next_cursor = encode_cursor([items[-1].code]) if len(items) == page.limit else None
    return Page[Item](items=items, next_cursor=next_cursor)


@router.get("/{code}", summary="One service item", responses={404: NO_ITEM})
async def get_item(code: Code, session: DbSession, _principal: CurrentPrincipal) -> Item:
    return Item.model_validate(await service.get_item(session=session, code=code))


@router.patch("/{code}", summary="Change a service item (admin)", responses={404: NO_ITEM})
async def update_item(code: Code, body: ItemUpdate, session: DbSession, _admin: Admin) -> Item:
    return Item.model_validate(await service.update_item(session=session, code=code, data=body))


@router.delete(
    "/{code}",
    status_code=204,
    summary="Delete a service item no counter serves (admin)",
    responses={
        404: NO_ITEM,
        409: problem_doc("Counters still serve the item; `counters` lists them"),
    },
)
async def delete_item(code: Code, session: DbSession, _admin: Admin, clock: AppClock) -> Response:
    await service.delete_item(session=session, code=code, now=clock.now())
    return Response(status_code=204)
