from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.auth import Principal, Role, ensure_centre, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, Forbidden, NotFound, problem_doc
from cw_shared.http import require_json
from cw_shared.idempotency import Idempotent
from cw_shared.pagination import Page, Pagination, encode_cursor
from queue_api.centres.schemas import CENTRE_ID_PATTERN
from queue_api.clock import AppClock
from queue_api.counters import service
from queue_api.counters.schemas import COUNTER_ID_PATTERN, Counter, CounterCreate, CounterUpdate
from queue_api.stations import service as stations

router = APIRouter(
    prefix="/v1/counters",
    tags=["counters"],
    dependencies=[Depends(require_json)],
    responses=PROBLEM_RESPONSES,
)
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Clerk = Annotated[Principal, Depends(require_roles(Role.CLERK))]
ClerkOrAdmin = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.ADMIN))]
Reader = Annotated[
    Principal,
    Depends(require_roles(Role.ADMIN, Role.INTEGRATOR, Role.CLERK, Role.EXPERT, Role.AGENT)),
]
CounterId = Annotated[str, Path(pattern=COUNTER_ID_PATTERN, examples=["dinghai-03"])]
NO_COUNTER = problem_doc("No such counter, or it was deleted")


async def _readable_centre(session: AsyncSession, principal: Principal) -> str | None:
    """The one centre whose counters the caller may see, or None for every centre: clerks and
    experts see their centre's, agents those of their station's centre."""
    if principal.role in (Role.CLERK, Role.EXPERT):
        return principal.centre
    if principal.role is Role.AGENT:
        try:
            station = await stations.get_station(session=session, station_id=str(principal.station))
        except NotFound as exc:
            raise Forbidden("the token's station is not in the catalogue") from exc
        return station.centre_id
    return None


def _ensure_same_centre(readable: str | None, centre_id: str) -> None:
    if readable is not None and readable != centre_id:
        raise Forbidden("this belongs to another service centre")


@router.post(
    "",
    status_code=201,
    response_model=Counter,
    summary="Create a counter (admin)",
    responses={409: problem_doc("The id is taken (also by a deleted counter)")},
)
async def create_counter(
    body: CounterCreate, session: DbSession, _admin: Admin, idem: Idempotent, clock: AppClock
) -> JSONResponse:
    counter = await service.create_counter(session=session, data=body, now=clock.now())
    return await idem.remember(Counter.model_validate(counter), status_code=201)


@router.get("", summary="List counters (the caller's centre unless admin or integrator)")
async def list_counters(
    session: DbSession,
    principal: Reader,
    page: Pagination,
    centre_id: Annotated[
        str | None, Query(pattern=CENTRE_ID_PATTERN, description="Only this centre's counters")
    ] = None,
) -> Page[Counter]:
    readable = await _readable_centre(session, principal)
    if centre_id is not None:
        _ensure_same_centre(readable, centre_id)
    after_id = str(page.after[0]) if page.after else None
    counters = await service.list_counters(
        session=session, limit=page.limit, after_id=after_id, centre_id=centre_id or readable
    )
    items = [Counter.model_validate(c) for c in counters]
    next_cursor = encode_cursor([items[-1].id]) if len(items) == page.limit else None
    return Page[Counter](items=items, next_cursor=next_cursor)


@router.get("/{counter_id}", summary="One counter", responses={404: NO_COUNTER})
async def get_counter(counter_id: CounterId, session: DbSession, principal: Reader) -> Counter:
    counter = await service.get_counter(session=session, counter_id=counter_id)
    _ensure_same_centre(await _readable_centre(session, principal), counter.centre_id)
    return Counter.model_validate(counter)


@router.patch(
    "/{counter_id}",
    summary="Rename a counter or change the items it serves (admin)",
    responses={404: NO_COUNTER},
)
async def update_counter(
    counter_id: CounterId, body: CounterUpdate, session: DbSession, _admin: Admin
) -> Counter:
    counter = await service.update_counter(session=session, counter_id=counter_id, data=body)
    return Counter.model_validate(counter)


@router.delete(
    "/{counter_id}",
    status_code=204,
    summary="Delete a closed counter (admin)",
    responses={404: NO_COUNTER, 409: problem_doc("The counter is open; `clerk_sub` has it")},
)
async def delete_counter(
    counter_id: CounterId, session: DbSession, _admin: Admin, clock: AppClock
) -> Response:
    await service.delete_counter(session=session, counter_id=counter_id, now=clock.now())
    return Response(status_code=204)


@router.post(
    "/{counter_id}/open",
    summary="Open a counter of the clerk's centre; again by the same clerk is a no-op",
    responses={404: NO_COUNTER, 409: problem_doc("Another clerk has it open; `clerk_sub`")},
)
async def open_counter(
    counter_id: CounterId, session: DbSession, clerk: Clerk, clock: AppClock
) -> Counter:
    counter = await service.get_counter(session=session, counter_id=counter_id, for_update=True)
    ensure_centre(clerk, counter.centre_id)
    counter = await service.open_counter(
        session=session, counter=counter, clerk_sub=clerk.sub, now=clock.now()
    )
    return Counter.model_validate(counter)


@router.post(
    "/{counter_id}/close",
    summary="Close a counter (the clerk who opened it, or an admin)",
    responses={404: NO_COUNTER, 409: problem_doc("The counter is closed")},
)
async def close_counter(counter_id: CounterId, session: DbSession, by: ClerkOrAdmin) -> Counter:
    counter = await service.get_counter(session=session, counter_id=counter_id, for_update=True)
    if by.role is Role.CLERK:
        ensure_centre(by, counter.centre_id)
        if counter.is_open and counter.clerk_sub != by.sub:
            raise Forbidden("only the clerk who opened the counter, or an admin, may close it")
    counter = await service.close_counter(session=session, counter=counter, actor=by.sub)
    return Counter.model_validate(counter)
