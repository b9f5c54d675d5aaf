from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.errors import Conflict, NotFound
from cw_shared.events import new_event, record_event
from queue_api.centres.models import ServiceCentre
from queue_api.centres.schemas import CentreCreate

SOURCE = "queue-api"


async def create_centre(*, session: AsyncSession, data: CentreCreate, actor: str) -> ServiceCentre:
    if await session.get(ServiceCentre, data.id) is not None:
        raise Conflict(f"a centre with id {data.id!r} exists", centre_id=data.id)
    centre = ServiceCentre(
        id=data.id, name=data.name, timezone=data.timezone, created_at=datetime.now(UTC)
    )
    session.add(centre)
    await record_event(
        session,
        new_event(
            "centre.created",
            {"centre_id": centre.id, "name": centre.name, "timezone": centre.timezone},
            source=SOURCE,
            subject=centre.id,
            actor=actor,
        ),
    )
    await session.flush()
    return centre


async def get_centre(*, session: AsyncSession, centre_id: str) -> ServiceCentre:
    centre = await session.get(ServiceCentre, centre_id)
    if centre is None or centre.deleted_at is not None:
        raise NotFound(f"no centre {centre_id!r}")
    return centre


async def list_centres(
    *, session: AsyncSession, limit: int, after_id: str | None
) -> Sequence[ServiceCentre]:
    query = select(ServiceCentre).where(ServiceCentre.deleted_at.is_(None))
    if after_id is not None:
        query = query.where(ServiceCentre.id > after_id)
    return (await session.scalars(query.order_by(ServiceCentre.id).limit(limit))).all()
