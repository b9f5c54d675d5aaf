from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse

from cw_shared.auth import Principal, Role, ensure_centre, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, Forbidden, problem_doc
from cw_shared.http import require_json
from cw_shared.idempotency import Idempotent
from cw_shared.pagination import Page, Pagination, encode_cursor
from queue_api.centres.schemas import CENTRE_ID_PATTERN
from queue_api.clock import AppClock
from queue_api.stations import service
from queue_api.stations.models import Station as StationRow
from queue_api.stations.schemas import (
    STATION_ID_PATTERN,
    Heartbeat,
    Station,
    StationCreate,
    StationUpdate,
)

router = APIRouter(
    prefix="/v1/stations",
    tags=["stations"],
    dependencies=[Depends(require_json)],
    responses=PROBLEM_RESPONSES,
)
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Reader = Annotated[
    Principal,
    Depends(require_roles(Role.ADMIN, Role.INTEGRATOR, Role.CLERK, Role.EXPERT, Role.AGENT)),
]
Beater = Annotated[Principal, Depends(require_roles(Role.AGENT, Role.ADMIN))]
StationId = Annotated[str, Path(pattern=STATION_ID_PATTERN, examples=["huaniao"])]
NO_STATION = problem_doc("No such station, or it was deleted")


def _ensure_may_read(principal: Principal, station: StationRow) -> None:
    """Agents see their own station, clerks and experts their centre's, others every one."""
    if principal.role is Role.AGENT:
        _ensure_own_station(principal, station.id)
    elif principal.role in (Role.CLERK, Role.EXPERT):
        ensure_centre(principal, station.centre_id)


def _ensure_own_station(principal: Principal, station_id: str) -> None:
    if principal.role is Role.AGENT and principal.station != station_id:
        raise Forbidden("an agent acts only for the station in its token")


@router.post(
    "",
    status_code=201,
    response_model=Station,
    summary="Register an island station (admin)",
    responses={409: problem_doc("The id is taken (also by a deleted station)")},
)
async def create_station(
    body: StationCreate, session: DbSession, _admin: Admin, idem: Idempotent, clock: AppClock
) -> JSONResponse:
    station = await service.create_station(session=session, data=body, now=clock.now())
    return await idem.remember(Station.model_validate(station), status_code=201)


@router.get("", summary="List stations (the caller's centre or station unless admin)")
async def list_stations(
    session: DbSession,
    principal: Reader,
    page: Pagination,
    centre_id: Annotated[
        str | None, Query(pattern=CENTRE_ID_PATTERN, description="Only this centre's stations")
    ] = None,
) -> Page[Station]:
    station_id = None
    if principal.role in (Role.CLERK, Role.EXPERT):
        if centre_id is not None:
            ensure_centre(principal, centre_id)
        centre_id = principal.centre
    elif principal.role is Role.AGENT:
        station_id = principal.station
    after_id = str(page.after[0]) if page.after else None
    stations = await service.list_stations(
        session=session,
        limit=page.limit,
        after_id=after_id,
        centre_id=centre_id,
        station_id=station_id,
    )
    items = [Station.model_validate(s) for s in stations]
    next_cursor = encode_cursor([items[-1].id]) if len(items) == page.limit else None
    return Page[Station](items=items, next_cursor=next_cursor)


@router.get("/{station_id}", summary="One station", responses={404: NO_STATION})
async def get_station(station_id: StationId, session: DbSession, principal: Reader) -> Station:
    station = await service.get_station(session=session, station_id=station_id)
    _ensure_may_read(principal, station)
    return Station.model_validate(station)


@router.patch("/{station_id}", summary="Rename a station (admin)", responses={404: NO_STATION})
async def update_station(
    station_id: StationId, body: StationUpdate, session: DbSession, _admin: Admin
) -> Station:
    station = await service.update_station(session=session, station_id=station_id, data=body)
    return Station.model_validate(station)


@router.delete(
    "/{station_id}",
    status_code=204,
    summary="Delete a station (admin); its tickets keep naming it",
    responses={404: NO_STATION},
)
async def delete_station(
    station_id: StationId, session: DbSession, _admin: Admin, clock: AppClock
) -> Response:
    await service.delete_station(session=session, station_id=station_id, now=clock.now())
    return Response(status_code=204)


@router.post(
    "/{station_id}/heartbeat",
    summary="The station's agent says it is online",
    responses={404: NO_STATION},
)
async def heartbeat(
    station_id: StationId, session: DbSession, principal: Beater, clock: AppClock
) -> Heartbeat:
    _ensure_own_station(principal, station_id)
    now = clock.now()
    await service.record_heartbeat(session=session, station_id=station_id, now=now)
    return Heartbeat(station_id=station_id, heartbeat_at=now)
