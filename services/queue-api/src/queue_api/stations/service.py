from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.errors import Conflict, NotFound
from queue_api.centres import service as centres
from queue_api.stations.models import Station
from queue_api.stations.schemas import StationCreate, StationUpdate


async def create_station(*, session: AsyncSession, data: StationCreate, now: datetime) -> Station:
    if await session.get(Station, data.id) is not None:
        # Deleted stations keep their id: tickets still name them.
        raise Conflict(f"a station with id {data.id!r} exists", station_id=data.id)
    await centres.lock_live_centre(session=session, centre_id=data.centre_id)
    station = Station(id=data.id, centre_id=data.centre_id, name=data.name, created_at=now)
    session.add(station)
    await session.flush()
    return station


async def get_station(
    *, session: AsyncSession, station_id: str, for_update: bool = False
) -> Station:
    station = await session.get(Station, station_id, with_for_update=for_update)
    if station is None or station.deleted_at is not None:
        raise NotFound(f"no station {station_id!r}")
    return station


async def list_stations(
    *,
    session: AsyncSession,
    limit: int,
    after_id: str | None,
    centre_id: str | None = None,
    station_id: str | None = None,
) -> Sequence[Station]:
    query = select(Station).where(Station.deleted_at.is_(None))
    if centre_id is not None:
        query = query.where(Station.centre_id == centre_id)
    if station_id is not None:
        query = query.where(Station.id == station_id)
    if after_id is not None:
        query = query.where(Station.id > after_id)
    return (await session.scalars(query.order_by(Station.id).limit(limit))).all()


async def update_station(*, session: AsyncSession, station_id: str, data: StationUpdate) -> Station:
    station = await get_station(session=session, station_id=station_id, for_update=True)
    for field, value in data.changes().items():
        setattr(station, field, value)
    await session.flush()
    return station


async def delete_station(*, session: AsyncSession, station_id: str, now: datetime) -> None:
    station = await get_station(session=session, station_id=station_id, for_update=True)
    station.deleted_at = now
    await session.flush()


async def record_heartbeat(*, session: AsyncSession, station_id: str, now: datetime) -> None:
    station = await get_station(session=session, station_id=station_id, for_update=True)
    station.heartbeat_at = now
    await session.flush()
