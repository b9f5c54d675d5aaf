from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.db import insert_or_ignore
from cw_shared.errors import Conflict, NotFound
from cw_shared.events import new_event, record_event
from queue_api.centres.models import CentreHoliday, ServiceCentre
from queue_api.centres.schemas import CentreCreate, CentreUpdate
from queue_api.config import QueueSettings
from queue_api.counters.models import Counter
from queue_api.schemas import invalid_fields
from queue_api.stations.models import Station

SOURCE = QueueSettings.service_name


async def create_centre(
    *, session: AsyncSession, data: CentreCreate, actor: str, now: datetime
) -> ServiceCentre:
    if await session.get(ServiceCentre, data.id) is not None:
        # Deleted centres keep their id: tickets and events still name them.
        raise Conflict(f"a centre with id {data.id!r} exists", centre_id=data.id)
    centre = ServiceCentre(**data.model_dump(mode="json"), created_at=now)
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


async def get_centre(
    *, session: AsyncSession, centre_id: str, for_update: bool = False
) -> ServiceCentre:
    centre = await session.get(ServiceCentre, centre_id, with_for_update=for_update)
    if centre is None or centre.deleted_at is not None:
        raise NotFound(f"no centre {centre_id!r}")
    return centre


async def lock_live_centre(*, session: AsyncSession, centre_id: str) -> ServiceCentre:
    """The centre a new station or counter joins, locked so that it cannot be deleted meanwhile;
    a 422 on ``body.centre_id`` when there is none."""
    centre = await session.get(ServiceCentre, centre_id, with_for_update=True)
    if centre is None or centre.deleted_at is not None:
        raise invalid_fields(
            {"location": "body.centre_id", "message": "no such centre", "code": "unknown_centre"}
        )
    return centre


async def list_centres(
    *, session: AsyncSession, limit: int, after_id: str | None
) -> Sequence[ServiceCentre]:
    query = select(ServiceCentre).where(ServiceCentre.deleted_at.is_(None))
    if after_id is not None:
        query = query.where(ServiceCentre.id > after_id)
    return (await session.scalars(query.order_by(ServiceCentre.id).limit(limit))).all()


async def update_centre(
    *, session: AsyncSession, centre_id: str, data: CentreUpdate, actor: str
) -> ServiceCentre:
    centre = await get_centre(session=session, centre_id=centre_id, for_update=True)
    changed = {
        field: value for field, value in data.changes().items() if getattr(centre, field) != value
    }
    target = changed.get("target_wait_minutes", centre.target_wait_minutes)
    maximum = changed.get("max_wait_minutes", centre.max_wait_minutes)
    if target > maximum:
        field = "target_wait_minutes" if "target_wait_minutes" in changed else "max_wait_minutes"
        raise invalid_fields(
            {
                "location": f"body.{field}",
                "message": f"the target wait ({target}) must not exceed the maximum ({maximum})",
                "code": "target_above_max",
            }
        )
    if not changed:
        return centre
    for field, value in changed.items():
        setattr(centre, field, value)
    await record_event(
        session,
        new_event(
            "centre.updated",
            {"centre_id": centre.id, "changed": changed},
            source=SOURCE,
            subject=centre.id,
            actor=actor,
        ),
    )
    await session.flush()
    return centre


async def delete_centre(
    *, session: AsyncSession, centre_id: str, actor: str, now: datetime
) -> None:
    """Soft-delete a centre that has no stations or counters left (tickets keep naming it)."""
    centre = await get_centre(session=session, centre_id=centre_id, for_update=True)
    stations = await _live_ids(session, Station, centre_id)
    counters = await _live_ids(session, Counter, centre_id)
    if stations or counters:
        raise Conflict(
            "delete the centre's stations and counters first",
            centre_id=centre_id,
            stations=stations,
            counters=counters,
        )
    centre.deleted_at = now
    await record_event(
        session,
        new_event(
            "centre.deleted",
            {"centre_id": centre.id},
            source=SOURCE,
            subject=centre.id,
            actor=actor,
        ),
    )
    await session.flush()


async def _live_ids(
    session: AsyncSession, model: type[Station | Counter], centre_id: str
) -> list[str]:
    query = select(model.id).where(model.centre_id == centre_id, model.deleted_at.is_(None))
    return list((await session.scalars(query.order_by(model.id))).all())


async def set_holiday(
    *, session: AsyncSession, centre_id: str, day: date, name: str, actor: str
) -> CentreHoliday:
    await get_centre(session=session, centre_id=centre_id)
    values: dict[str, Any] = {"centre_id": centre_id, "day": day, "name": name}
    # Insert-or-update without a race: a concurrent PUT of the same day waits for this one.
    if not await insert_or_ignore(session, CentreHoliday, values):
        renamed = await session.execute(
            update(CentreHoliday)
            .where(
                CentreHoliday.centre_id == centre_id,
                CentreHoliday.day == day,
                CentreHoliday.name != name,
            )
            .values(name=name)
        )
        if not getattr(renamed, "rowcount", 0):
            return await session.get_one(CentreHoliday, (centre_id, day))
    await _holidays_changed(session, centre_id, {day.isoformat(): name}, actor)
    return await session.get_one(CentreHoliday, (centre_id, day), populate_existing=True)


async def delete_holiday(*, session: AsyncSession, centre_id: str, day: date, actor: str) -> None:
    await get_centre(session=session, centre_id=centre_id)
    holiday = await session.get(CentreHoliday, (centre_id, day))
    if holiday is None:
        raise NotFound(f"{day.isoformat()} is not a holiday of centre {centre_id!r}")
    await session.delete(holiday)
    await _holidays_changed(session, centre_id, {day.isoformat(): None}, actor)
    await session.flush()


async def _holidays_changed(
    session: AsyncSession, centre_id: str, holidays: dict[str, str | None], actor: str
) -> None:
    """``centre.updated`` with the days that changed, ``null`` for a day no longer a holiday."""
    await record_event(
        session,
        new_event(
            "centre.updated",
            {"centre_id": centre_id, "changed": {"holidays": holidays}},
            source=SOURCE,
            subject=centre_id,
            actor=actor,
        ),
    )


async def list_holidays(
    *, session: AsyncSession, centre_id: str, year: int | None, now: datetime
) -> Sequence[CentreHoliday]:
    """The centre's holidays in ``year``, by default the current year at the centre."""
    centre = await get_centre(session=session, centre_id=centre_id)
    year = year or now.astimezone(ZoneInfo(centre.timezone)).year
    query = select(CentreHoliday).where(
        CentreHoliday.centre_id == centre_id,
        CentreHoliday.day >= date(year, 1, 1),
        CentreHoliday.day <= date(year, 12, 31),
    )
    return (await session.scalars(query.order_by(CentreHoliday.day))).all()
