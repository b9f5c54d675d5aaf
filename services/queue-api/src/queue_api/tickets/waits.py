"""Expected waits (预计等待), learned from recent service times.

Service times are the serving → finished durations of recent tickets of the same centre and
item, preferably in the same local hour; until there are enough samples the item's configured
time stands in (its p90 taken as 1.5×). The wait is the work ahead of a ticket divided across
the open counters that serve its item, plus what is left of the tickets being served. Rounded
up, so the estimate leans towards too long rather than too short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from queue_api.centres.hours import local
from queue_api.centres.models import ServiceCentre
from queue_api.counters.models import Counter
from queue_api.items.models import ServiceItem
from queue_api.tickets.models import State, Ticket

DEFAULT_P90_FACTOR = 1.5
SAMPLE_WINDOW = timedelta(days=28)


@dataclass(frozen=True)
class ServiceTime:
    p50: float  # seconds
    p90: float


@dataclass(frozen=True)
class Estimate:
    p50_minutes: int
    p90_minutes: int

    @property
    def p50(self) -> timedelta:
        return timedelta(minutes=self.p50_minutes)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def service_time(
    session: AsyncSession,
    *,
    centre: ServiceCentre,
    item: ServiceItem,
    now: datetime,
    min_samples: int,
    sample_size: int,
) -> ServiceTime:
    rows = (
        await session.execute(
            select(Ticket.serving_at, Ticket.finished_at)
            .where(
                Ticket.centre_id == centre.id,
                Ticket.item_code == item.code,
                Ticket.state == State.COMPLETED,
                Ticket.finished_at >= now - SAMPLE_WINDOW,
                Ticket.serving_at.is_not(None),
            )
            .order_by(Ticket.finished_at.desc())
            .limit(sample_size)
        )
    ).all()
    hour = local(centre, now).hour
    samples = [(f - s).total_seconds() for s, f in rows if s is not None and f is not None]
    same_hour = [
        (f - s).total_seconds()
        for s, f in rows
        if s is not None and f is not None and local(centre, s).hour == hour
    ]
    chosen = same_hour if len(same_hour) >= min_samples else samples
    if len(chosen) < min_samples:
        default = item.expected_service_minutes * 60.0
        return ServiceTime(default, default * DEFAULT_P90_FACTOR)
    return ServiceTime(_percentile(chosen, 0.5), _percentile(chosen, 0.9))


async def open_counters_for(session: AsyncSession, *, centre_id: str, item_code: str) -> int:
    rows = await session.scalars(
        select(Counter.item_codes).where(
            Counter.centre_id == centre_id, Counter.is_open.is_(True), Counter.deleted_at.is_(None)
        )
    )
    return sum(1 for codes in rows if item_code in codes)


async def serving_since(session: AsyncSession, *, centre_id: str, item_code: str) -> list[datetime]:
    """When each ticket of this item now being served started."""
    started = await session.scalars(
        select(Ticket.serving_at).where(
            Ticket.centre_id == centre_id,
            Ticket.item_code == item_code,
            Ticket.state == State.SERVING,
        )
    )
    return [at for at in started if at is not None]


def _left(started: list[datetime], now: datetime, per_ticket: float) -> float:
    """Seconds of service still expected on the tickets being served."""
    return sum(max(0.0, per_ticket - (now - at).total_seconds()) for at in started)


async def estimate(
    session: AsyncSession,
    *,
    centre: ServiceCentre,
    item: ServiceItem,
    ahead: int,
    now: datetime,
    min_samples: int,
    sample_size: int,
) -> Estimate:
    times = await service_time(
        session, centre=centre, item=item, now=now, min_samples=min_samples, sample_size=sample_size
    )
    counters = max(1, await open_counters_for(session, centre_id=centre.id, item_code=item.code))
    started = await serving_since(session, centre_id=centre.id, item_code=item.code)
    wait50 = (ahead * times.p50 + _left(started, now, times.p50)) / counters
    wait90 = (ahead * times.p90 + _left(started, now, times.p90)) / counters
    return Estimate(math.ceil(wait50 / 60), math.ceil(wait90 / 60))
