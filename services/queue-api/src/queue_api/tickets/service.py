"""The life of a ticket: issue, queue position, calling, serving, completion.

Every change writes its domain event (outbox) and its feed entry (the live streams) in the
ticket's own transaction. Illegal transitions are refused with 409 and the current state.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.auth import Principal, Role, ensure_centre
from cw_shared.errors import Conflict, Forbidden, NotFound, Problem
from cw_shared.events import new_event, record_event
from queue_api.centres.hours import business_day, closing_time, next_opening
from queue_api.centres.models import CentreHoliday, ServiceCentre
from queue_api.config import QueueSettings
from queue_api.counters.models import Counter
from queue_api.feed.service import record_feed
from queue_api.items.models import ServiceItem
from queue_api.stations.models import Station
from queue_api.tickets import waits
from queue_api.tickets.models import Channel, Outcome, QueueClass, State, Ticket
from queue_api.tickets.numbering import format_number, next_sequence
from queue_api.tickets.schemas import TicketCreate

SOURCE = "queue-api"
TICKETS_SCOPE = "queue:tickets"  # integrators take numbers only with this scope
CLASS_RANK = {QueueClass.PRIORITY: 0, QueueClass.APPOINTMENT: 1, QueueClass.WALK_IN: 2}
ACTIVE = (State.WAITING, State.CALLED, State.SERVING, State.PARKED)


class Transition(Protocol):
    async def __call__(
        self, *, session: AsyncSession, ticket_id: str, clerk: Principal, now: datetime
    ) -> Ticket: ...


class CentreClosed(Problem):
    status, slug, title = 409, "centre-closed", "The centre is closed"


class TooLateToday(Problem):
    status, slug, title = 409, "too-late-today", "Cannot be served before closing time"


class InvalidTransition(Problem):
    status, slug, title = 409, "invalid-transition", "Not allowed in the ticket's state"


class NotServedRemotely(Problem):
    status, slug, title = 409, "not-served-remotely", "This item needs a visit in person"


# ---------------------------------------------------------------- lookups


async def live_centre(session: AsyncSession, centre_id: str) -> ServiceCentre:
    centre = await session.get(ServiceCentre, centre_id)
    if centre is None or centre.deleted_at is not None:
        raise NotFound(f"no centre {centre_id!r}")
    return centre


async def live_item(session: AsyncSession, code: str) -> ServiceItem:
    item = await session.get(ServiceItem, code)
    if item is None or item.deleted_at is not None:
        raise NotFound(f"no service item {code!r}")
    return item


async def holidays(session: AsyncSession, centre_id: str) -> set[date]:
    days = await session.scalars(
        select(CentreHoliday.day).where(CentreHoliday.centre_id == centre_id)
    )
    return set(days)


async def get_ticket(session: AsyncSession, ticket_id: str, *, lock: bool = False) -> Ticket:
    query = select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        query = query.with_for_update()
    ticket = await session.scalar(query)
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    return ticket


def ensure_can_follow(principal: Principal, ticket: Ticket) -> None:
    """A citizen follows her own tickets, an agent her station's, staff their centre's."""
    allowed = {
        Role.CITIZEN: ticket.holder_sub == principal.sub,
        Role.AGENT: ticket.station_id is not None and ticket.station_id == principal.station,
        Role.CLERK: ticket.centre_id == principal.centre,
        Role.EXPERT: ticket.centre_id == principal.centre,
        Role.ADMIN: True,
        Role.INTEGRATOR: ticket.issued_by == principal.sub,
    }.get(principal.role, False)
    if not allowed:
        raise NotFound(f"no ticket {ticket.id!r}")  # do not confirm that it exists


# ---------------------------------------------------------------- issuing


def new_ticket_id() -> str:
    """Time-ordered (nanoseconds, then random): the queue's last tie-breaker is issue order."""
    return f"{time.time_ns():016x}{secrets.token_hex(8)}"


def _who(principal: Principal, data: TicketCreate) -> tuple[Channel, str]:
    """The channel and the holder for a ticket taken by this caller."""
    if principal.role is Role.CITIZEN:
        if data.holder_sub not in (None, principal.sub):
            raise Forbidden("a citizen takes numbers for herself only")
        return Channel.APP, principal.sub
    if data.holder_sub is None:
        raise Conflict("name the resident served: holder_sub", field="holder_sub")
    channel = {
        Role.AGENT: Channel.STATION,
        Role.CLERK: Channel.COUNTER,
        Role.INTEGRATOR: Channel.INTEGRATOR,
    }.get(principal.role)
    if channel is None:
        raise Forbidden("citizens, agents, clerks and integrators take numbers")
    if channel is Channel.INTEGRATOR and TICKETS_SCOPE not in principal.scopes:
        raise Forbidden(f"this integrator lacks the scope {TICKETS_SCOPE!r}")
    return channel, data.holder_sub


async def queue_key_rows(
    session: AsyncSession, *, centre_id: str, item_code: str
) -> list[tuple[str, str, datetime, datetime]]:
    rows = await session.execute(
        select(Ticket.id, Ticket.queue_class, Ticket.queued_at, Ticket.issued_at).where(
            Ticket.centre_id == centre_id,
            Ticket.item_code == item_code,
            Ticket.state == State.WAITING,
        )
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _order_key(
    queue_class: str, queued_at: datetime, issued_at: datetime, ticket_id: str
) -> tuple[Any, ...]:
    return (CLASS_RANK[QueueClass(queue_class)], queued_at, issued_at, ticket_id)


async def _waiting_at_or_above(
    session: AsyncSession, centre_id: str, item_code: str, queue_class: QueueClass
) -> int:
    """Waiting tickets of the item in this class or a higher one: who a new ticket is behind."""
    classes = [c.value for c, rank in CLASS_RANK.items() if rank <= CLASS_RANK[queue_class]]
    count = await session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.centre_id == centre_id,
            Ticket.item_code == item_code,
            Ticket.state == State.WAITING,
            Ticket.queue_class.in_(classes),
        )
    )
    return int(count or 0)


async def position_of(session: AsyncSession, ticket: Ticket) -> int | None:
    """1 + the waiting tickets of the same item that would be called before it (classes
    strictly in rank: an over-estimate when the calling rule interleaves)."""
    if ticket.state != State.WAITING:
        return None
    mine = _order_key(ticket.queue_class, ticket.queued_at, ticket.issued_at, ticket.id)
    rows = await queue_key_rows(session, centre_id=ticket.centre_id, item_code=ticket.item_code)
    return 1 + sum(1 for r in rows if _order_key(r[1], r[2], r[3], r[0]) < mine)


async def estimate_for(
    session: AsyncSession, ticket: Ticket, *, now: datetime, settings: QueueSettings
) -> tuple[int | None, waits.Estimate | None]:
    position = await position_of(session, ticket)
    if position is None:
        return None, None
    centre = await live_centre(session, ticket.centre_id)
    item = await live_item(session, ticket.item_code)
    estimate = await waits.estimate(
        session,
        centre=centre,
        item=item,
        ahead=position - 1,
        now=now,
        min_samples=settings.wait_min_samples,
        sample_size=settings.wait_sample_size,
    )
    return position, estimate


async def issue_ticket(
    *,
    session: AsyncSession,
    principal: Principal,
    data: TicketCreate,
    now: datetime,
    settings: QueueSettings,
) -> tuple[Ticket, int, waits.Estimate]:
    """A new ticket, its position and its expected wait (computed once, for the check and
    for the reply)."""
    centre = await live_centre(session, data.centre_id)
    item = await live_item(session, data.item_code)
    channel, holder = _who(principal, data)
    station_id = (
        await agent_station(session, principal, centre) if channel is Channel.STATION else None
    )
    if channel is Channel.COUNTER:
        ensure_centre(principal, centre.id)
    remote = channel is not Channel.COUNTER
    if remote and not item.remote_allowed:
        raise NotServedRemotely(
            f"{item.name} must be applied for at the counter", item_code=item.code
        )

    closed_days = await holidays(session, centre.id)
    closes = closing_time(centre, now, closed_days)
    if closes is None:
        opening = next_opening(centre, now, closed_days)
        raise CentreClosed(
            "numbers are given while the centre is open",
            next_opening=opening.isoformat() if opening else None,
        )
    queue_class = QueueClass.PRIORITY if item.priority else QueueClass.WALK_IN
    ahead = await _waiting_at_or_above(session, centre.id, item.code, queue_class)
    estimate = await waits.estimate(
        session,
        centre=centre,
        item=item,
        ahead=ahead,
        now=now,
        min_samples=settings.wait_min_samples,
        sample_size=settings.wait_sample_size,
    )
    service = timedelta(minutes=item.expected_service_minutes)
    if now + estimate.p50 + service > closes:
        raise TooLateToday(
            f"the queue for {item.name} is longer than the time left today; book an appointment",
            closes_at=closes.isoformat(),
            expected_wait_minutes=estimate.p50_minutes,
            appointments=f"/v1/centres/{centre.id}/appointment-slots?item_code={item.code}",
        )

    day = business_day(centre, now)
    sequence = await next_sequence(session, centre_id=centre.id, prefix=item.prefix, day=day)
    ticket = Ticket(
        id=new_ticket_id(),
        centre_id=centre.id,
        item_code=item.code,
        business_day=day,
        number=format_number(item.prefix, sequence),
        channel=channel.value,
        holder_sub=holder,
        issued_by=principal.sub,
        agent_sub=principal.sub if channel is Channel.STATION else None,
        station_id=station_id,
        queue_class=queue_class.value,
        queued_at=now,
        issued_at=now,
        state=State.WAITING.value,
        remote=remote,
        recalls=0,
        heartbeat_lost=False,
    )
    session.add(ticket)
    await emit(session, ticket, "ticket.issued", now=now, actor=principal.sub)
    await session.flush()
    return ticket, ahead + 1, estimate


async def agent_station(session: AsyncSession, principal: Principal, centre: ServiceCentre) -> str:
    station = await session.get(Station, principal.station or "")
    if station is None or station.deleted_at is not None:
        raise Forbidden("the agent's station is not registered")
    if station.centre_id != centre.id:
        raise Forbidden("this station sends residents to another centre")
    return station.id


# ---------------------------------------------------------------- events


def public_view(ticket: Ticket) -> dict[str, Any]:
    """What a display board may show: no one's identity."""
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "item_code": ticket.item_code,
        "state": ticket.state,
        "counter_id": ticket.counter_id,
        "queue_class": ticket.queue_class,
    }


def event_data(ticket: Ticket) -> dict[str, Any]:
    return public_view(ticket) | {
        "centre_id": ticket.centre_id,
        "channel": ticket.channel,
        "holder_sub": ticket.holder_sub,
        "agent_sub": ticket.agent_sub,
        "station_id": ticket.station_id,
        "remote": ticket.remote,
        "clerk_sub": ticket.clerk_sub,
        "recalls": ticket.recalls,
        "heartbeat_lost": ticket.heartbeat_lost,
        "outcome": ticket.outcome,
        "case_number": ticket.case_number,
    }


async def emit(
    session: AsyncSession,
    ticket: Ticket,
    event_type: str,
    *,
    now: datetime,
    actor: str,
    extra: dict[str, Any] | None = None,
) -> None:
    data = event_data(ticket) | (extra or {})
    await record_event(
        session, new_event(event_type, data, source=SOURCE, subject=ticket.id, actor=actor)
    )
    await record_feed(
        session,
        centre_id=ticket.centre_id,
        ticket_id=ticket.id,
        kind=event_type,
        data=public_view(ticket) | (extra or {}),
        at=now,
    )


# ---------------------------------------------------------------- calling


def _candidates(counter: Counter, centre_id: str) -> Select[Ticket]:
    return (
        select(Ticket)
        .where(
            Ticket.centre_id == centre_id,
            Ticket.state == State.WAITING,
            Ticket.item_code.in_(counter.item_codes),
            (Ticket.target_counter_id.is_(None)) | (Ticket.target_counter_id == counter.id),
        )
        .order_by(Ticket.queued_at, Ticket.issued_at, Ticket.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


async def _counter_of(session: AsyncSession, counter_id: str, clerk: Principal) -> Counter:
    counter = await session.scalar(
        select(Counter).where(Counter.id == counter_id).with_for_update()
    )
    if counter is None or counter.deleted_at is not None:
        raise NotFound(f"no counter {counter_id!r}")
    ensure_centre(clerk, counter.centre_id)
    if not counter.is_open:
        raise Conflict("open the counter first", counter_state="closed")
    if counter.clerk_sub != clerk.sub and clerk.role is not Role.ADMIN:
        raise Forbidden("this counter was opened by another clerk")
    return counter


async def pick_next(
    session: AsyncSession,
    *,
    counter: Counter,
    centre: ServiceCentre,
    now: datetime,
    rule: list[str],
) -> Ticket | None:
    """The overdue ticket that waited longest, else the next class of the calling rule that
    has anyone waiting (the counter's cursor walks the rule), oldest first."""
    base = _candidates(counter, centre.id)
    overdue = await session.scalar(
        base.where(Ticket.queued_at <= now - timedelta(minutes=centre.max_wait_minutes))
    )
    if overdue is not None:
        return overdue
    for step in range(len(rule)):
        queue_class = rule[(counter.call_cursor + step) % len(rule)]
        ticket = await session.scalar(base.where(Ticket.queue_class == queue_class))
        if ticket is not None:
            counter.call_cursor = (counter.call_cursor + step + 1) % len(rule)
            return ticket
    return None


async def call_next(
    *,
    session: AsyncSession,
    counter_id: str,
    clerk: Principal,
    now: datetime,
    settings: QueueSettings,
) -> Ticket | None:
    counter = await _counter_of(session, counter_id, clerk)
    centre = await live_centre(session, counter.centre_id)
    rule = centre.interleave or settings.default_interleave
    ticket = await pick_next(session, counter=counter, centre=centre, now=now, rule=rule)
    if ticket is None:
        return None
    await _mark_called(session, ticket, counter, clerk, now=now, settings=settings)
    return ticket


async def call_ticket(
    *,
    session: AsyncSession,
    ticket_id: str,
    counter_id: str,
    clerk: Principal,
    now: datetime,
    settings: QueueSettings,
) -> Ticket:
    counter = await _counter_of(session, counter_id, clerk)
    ticket = await get_ticket(session, ticket_id, lock=True)
    _require(ticket, {State.WAITING})
    if ticket.centre_id != counter.centre_id or ticket.item_code not in counter.item_codes:
        raise Conflict("this counter does not serve that ticket's item", state=ticket.state)
    await _mark_called(session, ticket, counter, clerk, now=now, settings=settings)
    return ticket


async def _mark_called(
    session: AsyncSession,
    ticket: Ticket,
    counter: Counter,
    clerk: Principal,
    *,
    now: datetime,
    settings: QueueSettings,
) -> None:
    ticket.state = State.CALLED.value
    ticket.counter_id = counter.id
    ticket.clerk_sub = clerk.sub
    ticket.called_at = now
    ticket.recalls = 0
    ticket.target_counter_id = None
    if ticket.station_id is not None:
        station = await session.get(Station, ticket.station_id)
        timeout = timedelta(seconds=settings.station_heartbeat_timeout_seconds)
        if station is not None and (
            station.heartbeat_at is None or station.heartbeat_at < now - timeout
        ):
            ticket.heartbeat_lost = True
            await record_event(
                session,
                new_event(
                    "station.heartbeat_lost",
                    {
                        "station_id": station.id,
                        "centre_id": station.centre_id,
                        "ticket_id": ticket.id,
                        "last_heartbeat_at": station.heartbeat_at.isoformat()
                        if station.heartbeat_at
                        else None,
                    },
                    source=SOURCE,
                    subject=station.id,
                    actor=clerk.sub,
                ),
            )
    await emit(
        session,
        ticket,
        "ticket.called",
        now=now,
        actor=clerk.sub,
        extra={"counter_name": counter.name},
    )


# ---------------------------------------------------------------- transitions


def _require(ticket: Ticket, allowed: Iterable[State]) -> None:
    if ticket.state not in {state.value for state in allowed}:
        raise InvalidTransition(
            f"the ticket is {ticket.state}", state=ticket.state, ticket_id=ticket.id
        )


async def staff_ticket(session: AsyncSession, ticket_id: str, clerk: Principal) -> Ticket:
    ticket = await get_ticket(session, ticket_id, lock=True)
    if not clerk.can_act_for_centre(ticket.centre_id):
        raise NotFound(f"no ticket {ticket_id!r}")
    return ticket


async def recall(
    *, session: AsyncSession, ticket_id: str, clerk: Principal, now: datetime
) -> Ticket:
    ticket = await staff_ticket(session, ticket_id, clerk)
    _require(ticket, {State.CALLED})
    ticket.recalls += 1
    ticket.called_at = now
    await emit(session, ticket, "ticket.recalled", now=now, actor=clerk.sub)
    return ticket


async def start_serving(
    *, session: AsyncSession, ticket_id: str, clerk: Principal, now: datetime
) -> Ticket:
    ticket = await staff_ticket(session, ticket_id, clerk)
    _require(ticket, {State.CALLED})
    ticket.state = State.SERVING.value
    ticket.serving_at = now
    await emit(session, ticket, "ticket.serving", now=now, actor=clerk.sub)
    return ticket


async def no_show(
    *, session: AsyncSession, ticket_id: str, clerk: Principal, now: datetime
) -> Ticket:
    ticket = await staff_ticket(session, ticket_id, clerk)
    _require(ticket, {State.CALLED})
    centre = await live_centre(session, ticket.centre_id)
    if ticket.recalls < centre.no_show_after_recalls and not ticket.heartbeat_lost:
        raise InvalidTransition(
            f"recall the ticket {centre.no_show_after_recalls} times before a no-show",
            state=ticket.state,
            recalls=ticket.recalls,
            recalls_required=centre.no_show_after_recalls,
        )
    ticket.state = State.NO_SHOW.value
    ticket.finished_at = now
    await emit(session, ticket, "ticket.no_show", now=now, actor=clerk.sub)
    return ticket


async def return_to_queue(
    *, session: AsyncSession, ticket_id: str, clerk: Principal, now: datetime, first: bool
) -> Ticket:
    """Back to the front or the end of its class's line."""
    ticket = await staff_ticket(session, ticket_id, clerk)
    _require(ticket, {State.CALLED})
    line = select(Ticket.queued_at).where(
        Ticket.centre_id == ticket.centre_id,
        Ticket.state == State.WAITING,
        Ticket.queue_class == ticket.queue_class,
    )
    tick = timedelta(microseconds=1)
    if first:
        earliest = await session.scalar(line.order_by(Ticket.queued_at).limit(1))
        ticket.queued_at = min(earliest, ticket.queued_at) - tick if earliest else ticket.queued_at
    else:
        latest = await session.scalar(line.order_by(Ticket.queued_at.desc()).limit(1))
        ticket.queued_at = max(now, latest + tick) if latest else now
    _back_to_waiting(ticket)
    await emit(
        session,
        ticket,
        "ticket.returned",
        now=now,
        actor=clerk.sub,
        extra={"position": "first" if first else "last"},
    )
    return ticket


def _back_to_waiting(ticket: Ticket) -> None:
    ticket.state = State.WAITING.value
    ticket.counter_id = None
    ticket.clerk_sub = None
    ticket.called_at = None
    ticket.recalls = 0


async def transfer(
    *,
    session: AsyncSession,
    ticket_id: str,
    clerk: Principal,
    now: datetime,
    item_code: str | None,
    counter_id: str | None,
) -> Ticket:
    if item_code is None and counter_id is None:
        raise Conflict("name the item or the counter to transfer to")
    ticket = await staff_ticket(session, ticket_id, clerk)
    _require(ticket, {State.WAITING, State.CALLED, State.SERVING})
    if item_code is not None:
        ticket.item_code = (await live_item(session, item_code)).code
    if counter_id is not None:
        counter = await session.get(Counter, counter_id)
        if (
            counter is None
            or counter.deleted_at is not None
            or counter.centre_id != ticket.centre_id
        ):
            raise NotFound(f"no counter {counter_id!r} at this centre")
        if ticket.item_code not in counter.item_codes:
            raise Conflict("that counter does not serve the ticket's item", state=ticket.state)
        ticket.target_counter_id = counter.id
    _back_to_waiting(ticket)
    ticket.serving_at = None
    await emit(
        session,
        ticket,
        "ticket.transferred",
        now=now,
        actor=clerk.sub,
        extra={"to_item_code": item_code, "to_counter_id": counter_id},
    )
    return ticket


async def park(*, session: AsyncSession, ticket_id: str, clerk: Principal, now: datetime) -> Ticket:
    ticket = await staff_ticket(session, ticket_id, clerk)
    _require(ticket, {State.SERVING})
    ticket.state = State.PARKED.value
    await emit(session, ticket, "ticket.parked", now=now, actor=clerk.sub)
    return ticket


async def resume(
    *, session: AsyncSession, ticket_id: str, clerk: Principal, now: datetime
) -> Ticket:
    ticket = await staff_ticket(session, ticket_id, clerk)
    _require(ticket, {State.PARKED})
    ticket.state = State.SERVING.value
    ticket.clerk_sub = clerk.sub
    await emit(session, ticket, "ticket.resumed", now=now, actor=clerk.sub)
    return ticket


async def complete(
    *,
    session: AsyncSession,
    ticket_id: str,
    clerk: Principal,
    now: datetime,
    outcome: Outcome,
    case_number: str | None,
) -> Ticket:
    ticket = await staff_ticket(session, ticket_id, clerk)
    _require(ticket, {State.SERVING})
    if outcome is Outcome.DONE and not case_number:
        raise Conflict("a completed case needs its case number (办件编号)", state=ticket.state)
    ticket.state = State.COMPLETED.value
    ticket.outcome = outcome.value
    ticket.case_number = case_number
    ticket.finished_at = now
    await emit(session, ticket, "ticket.completed", now=now, actor=clerk.sub)
    return ticket


async def cancel(
    *, session: AsyncSession, ticket_id: str, holder: Principal, now: datetime
) -> Ticket:
    ticket = await get_ticket(session, ticket_id, lock=True)
    ensure_can_follow(holder, ticket)
    if holder.role not in (Role.CITIZEN, Role.AGENT, Role.INTEGRATOR, Role.ADMIN):
        raise Forbidden("the ticket's holder cancels it")
    _require(ticket, {State.WAITING, State.CALLED})
    ticket.state = State.CANCELLED.value
    ticket.finished_at = now
    await emit(session, ticket, "ticket.cancelled", now=now, actor=holder.sub)
    return ticket


async def list_tickets(
    *,
    session: AsyncSession,
    principal: Principal,
    centre_id: str | None,
    state: str | None,
    limit: int,
    after: list[Any] | None,
) -> list[Ticket]:
    query = select(Ticket)
    match principal.role:
        case Role.CITIZEN:
            query = query.where(Ticket.holder_sub == principal.sub)
        case Role.AGENT:
            query = query.where(Ticket.station_id == principal.station)
        case Role.CLERK | Role.EXPERT:
            query = query.where(Ticket.centre_id == principal.centre)
        case Role.INTEGRATOR:
            query = query.where(Ticket.issued_by == principal.sub)
    if centre_id:
        query = query.where(Ticket.centre_id == centre_id)
    if state:
        query = query.where(Ticket.state == state)
    if after:
        query = query.where(Ticket.id > str(after[0]))
    return list((await session.scalars(query.order_by(Ticket.id).limit(limit))).all())
