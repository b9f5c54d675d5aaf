from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.errors import Conflict, NotFound
from queue_api.counters.models import Counter
from queue_api.items.models import ServiceItem
from queue_api.items.schemas import ItemCreate, ItemUpdate


async def create_item(*, session: AsyncSession, data: ItemCreate, now: datetime) -> ServiceItem:
    if await session.get(ServiceItem, data.code) is not None:
        # Deleted items keep their code: tickets still name them.
        raise Conflict(f"an item with code {data.code!r} exists", code=data.code)
    item = ServiceItem(**data.model_dump(), created_at=now)
    session.add(item)
    await session.flush()
    return item


async def get_item(*, session: AsyncSession, code: str, for_update: bool = False) -> ServiceItem:
    item = await session.get(ServiceItem, code, with_for_update=for_update)
    if item is None or item.deleted_at is not None:
        raise NotFound(f"no item {code!r}")
    return item


async def list_items(
    *, session: AsyncSession, limit: int, after_code: str | None
) -> Sequence[ServiceItem]:
    query = select(ServiceItem).where(ServiceItem.deleted_at.is_(None))
    if after_code is not None:
        query = query.where(ServiceItem.code > after_code)
    return (await session.scalars(query.order_by(ServiceItem.code).limit(limit))).all()


async def update_item(*, session: AsyncSession, code: str, data: ItemUpdate) -> ServiceItem:
    item = await get_item(session=session, code=code, for_update=True)
    for field, value in data.changes().items():
        setattr(item, field, value)
    await session.flush()
    return item


async def delete_item(*, session: AsyncSession, code: str, now: datetime) -> None:
    """Soft-delete an item that no counter serves any more."""
    item = await get_item(session=session, code=code, for_update=True)
    # item_codes is a JSON list, which SQLite and PostgreSQL's JSON cannot index alike; the
    # counters of all centres are few, so they are read whole.
    live = await session.scalars(
        select(Counter).where(Counter.deleted_at.is_(None)).order_by(Counter.id)
    )
    counters = [counter.id for counter in live if code in counter.item_codes]
    if counters:
        raise Conflict(
            f"counters still serve {code!r}; change their items first", code=code, counters=counters
        )
    item.deleted_at = now
    await session.flush()
