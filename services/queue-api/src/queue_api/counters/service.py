from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.errors import Conflict, NotFound
from cw_shared.events import new_event, record_event
from queue_api.centres import service as centres
from queue_api.config import QueueSettings
from queue_api.counters.models import Counter
from queue_api.counters.schemas import CounterCreate, CounterUpdate
from queue_api.items.models import ServiceItem
from queue_api.schemas import FieldError, invalid_fields
from queue_api.tickets.models import State, Ticket

SOURCE = QueueSettings.service_name


async def create_counter(*, session: AsyncSession, data: CounterCreate, now: datetime) -> Counter:
    if await session.get(Counter, data.id) is not None:
        # Deleted counters keep their id: tickets still name them.
        raise Conflict(f"a counter with id {data.id!r} exists", counter_id=data.id)
    await centres.lock_live_centre(session=session, centre_id=data.centre_id)
    await _ensure_items_exist(session, data.item_codes)
    counter = Counter(
        id=data.id,
        centre_id=data.centre_id,
        name=data.name,
        item_codes=data.item_codes,
        is_open=False,
        call_cursor=0,
        created_at=now,
    )
    session.add(counter)
    await session.flush()
    return counter


async def _ensure_items_exist(session: AsyncSession, codes: list[str]) -> None:
    """A 422 naming each code that is not a live item. The items found stay share-locked, so
    that none of them can be deleted before this transaction commits."""
    found = set(
        await session.scalars(
            select(ServiceItem.code)
            .where(ServiceItem.code.in_(codes), ServiceItem.deleted_at.is_(None))
            .with_for_update(read=True)
        )
    )
    errors = [
        FieldError(location=f"body.item_codes.{index}", message="no such item", code="unknown_item")
        for index, code in enumerate(codes)
        if code not in found
    ]
    if errors:
        raise invalid_fields(*errors)


async def get_counter(
    *, session: AsyncSession, counter_id: str, for_update: bool = False
) -> Counter:
    counter = await session.get(Counter, counter_id, with_for_update=for_update)
    if counter is None or counter.deleted_at is not None:
        raise NotFound(f"no counter {counter_id!r}")
    return counter


async def list_counters(
    *, session: AsyncSession, limit: int, after_id: str | None, centre_id: str | None = None
) -> Sequence[Counter]:
    query = select(Counter).where(Counter.deleted_at.is_(None))
    if centre_id is not None:
        query = query.where(Counter.centre_id == centre_id)
    if after_id is not None:
        query = query.where(Counter.id > after_id)
    return (await session.scalars(query.order_by(Counter.id).limit(limit))).all()


async def update_counter(*, session: AsyncSession, counter_id: str, data: CounterUpdate) -> Counter:
    counter = await get_counter(session=session, counter_id=counter_id, for_update=True)
    changes = data.changes()
    if "item_codes" in changes:
        await _ensure_items_exist(session, changes["item_codes"])
    for field, value in changes.items():
        setattr(counter, field, value)
    await session.flush()
    return counter


async def delete_counter(*, session: AsyncSession, counter_id: str, now: datetime) -> None:
    counter = await get_counter(session=session, counter_id=counter_id, for_update=True)
    if counter.is_open:
        raise Conflict(
            "the counter is open; its clerk must close it first",
            counter_id=counter.id,
            is_open=True,
            clerk_sub=counter.clerk_sub,
        )
    counter.deleted_at = now
    await session.flush()


async def open_counter(
    *, session: AsyncSession, counter: Counter, clerk_sub: str, now: datetime
) -> Counter:
    """Open ``counter`` (locked by the caller) for a clerk; opening it again is a no-op."""
    if counter.is_open:
        if counter.clerk_sub == clerk_sub:
            return counter
        raise Conflict(
            "another clerk has this counter open",
            counter_id=counter.id,
            is_open=True,
            clerk_sub=counter.clerk_sub,
            opened_at=counter.opened_at.isoformat() if counter.opened_at else None,
        )
    counter.is_open = True
    counter.clerk_sub = clerk_sub
    counter.opened_at = now
    await _record(session, "counter.opened", counter, clerk_sub=clerk_sub, actor=clerk_sub)
    await session.flush()
    return counter


async def close_counter(*, session: AsyncSession, counter: Counter, actor: str) -> Counter:
    """Close ``counter`` (locked by the caller)."""
    if not counter.is_open:
        raise Conflict("the counter is closed", counter_id=counter.id, is_open=False)
    busy = await session.scalar(
        select(Ticket.number)
        .where(
            Ticket.counter_id == counter.id,
            Ticket.state.in_([State.CALLED, State.SERVING, State.PARKED]),
        )
        .limit(1)
    )
    if busy is not None:
        raise Conflict(
            f"ticket {busy} is still at this counter: finish, return or transfer it first",
            counter_id=counter.id,
            ticket_number=busy,
        )
    clerk_sub = counter.clerk_sub
    counter.is_open = False
    counter.clerk_sub = None
    counter.opened_at = None
    await _record(session, "counter.closed", counter, clerk_sub=clerk_sub, actor=actor)
    await session.flush()
    return counter


async def _record(
    session: AsyncSession, event_type: str, counter: Counter, *, clerk_sub: str | None, actor: str
) -> None:
    data = {
        "counter_id": counter.id,
        "centre_id": counter.centre_id,
        "clerk_sub": clerk_sub,
        "item_codes": list(counter.item_codes),
    }
    await record_event(
        session, new_event(event_type, data, source=SOURCE, subject=counter.id, actor=actor)
    )
