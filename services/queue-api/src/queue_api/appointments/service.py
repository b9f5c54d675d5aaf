"""Slots, bookings and check-in (预约取号).

A slot's ``booked`` counter is the only guard on its capacity: every booking increments it with
``UPDATE … SET booked = booked + 1 WHERE booked < capacity`` in the booking's own transaction,
so concurrent bookings queue on the slot's row (PostgreSQL) or on the write lock (SQLite) and
the last seat is given once. A checked-in appointment keeps its seat.

Check-in makes an ordinary numbered ticket. Within the window, from ``EARLY`` before the booked
time to ``LATE`` after it, the ticket joins the appointment class queued at the booked time, so
residents are called in the order they booked for, not the order they arrived in. After the
window the booked place is lost: the ticket is queued at the check-in time like a number taken
then, as long as it is still the slot's business day and the centre is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.auth import Principal, Role, ensure_centre
from cw_shared.db import insert_or_ignore
from cw_shared.errors import Forbidden, NotFound, Problem
from cw_shared.events import new_event, record_event
from queue_api.appointments.models import Appointment, AppointmentSlot
from queue_api.appointments.schemas import AppointmentCreate, AppointmentState, SlotCreate
from queue_api.centres.hours import business_day, closing_time, intervals, local
from queue_api.centres.models import ServiceCentre
from queue_api.items.models import ServiceItem
from queue_api.schemas import invalid_fields
from queue_api.tickets import service as tickets
from queue_api.tickets.models import Channel, QueueClass, State, Ticket
from queue_api.tickets.numbering import format_number, next_sequence

SOURCE = tickets.SOURCE
EARLY = timedelta(minutes=30)
"""Check-in opens this long before the booked time."""
LATE = timedelta(minutes=15)
"""Up to this long after the booked time the resident keeps her place; later she joins the line
of residents who just took a number."""


class SlotFull(Problem):
    status, slug, title = 409, "slot-full", "The slot is fully booked"


class SlotStarted(Problem):
    status, slug, title = 409, "slot-started", "The slot has already begun"


class SlotHasBookings(Problem):
    status, slug, title = 409, "slot-has-bookings", "The slot still has bookings"


class AlreadyBooked(Problem):
    status, slug, title = 409, "already-booked", "The resident already booked this slot"


class NotBooked(Problem):
    status, slug, title = 409, "appointment-not-booked", "Not allowed in the appointment's state"


class AlreadyCheckedIn(Problem):
    status, slug, title = 409, "already-checked-in", "The appointment is already checked in"


class CheckInTooEarly(Problem):
    status, slug, title = 409, "check-in-too-early", "Check-in has not opened yet"


class CheckInClosed(Problem):
    status, slug, title = 409, "check-in-closed", "Check-in is over for this appointment"


@dataclass(frozen=True)
class Booking:
    """An appointment with the slot it holds a seat in."""

    appointment: Appointment
    slot: AppointmentSlot


def check_in_opens_at(slot: AppointmentSlot) -> datetime:
    return slot.starts_at - EARLY


def on_time_until(slot: AppointmentSlot) -> datetime:
    return slot.starts_at + LATE


def _day_bounds(centre: ServiceCentre, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(centre.timezone)
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


# ---------------------------------------------------------------- slots


async def create_slot(
    *,
    session: AsyncSession,
    principal: Principal,
    centre_id: str,
    data: SlotCreate,
    now: datetime,
) -> AppointmentSlot:
    centre = await tickets.live_centre(session, centre_id)
    ensure_centre(principal, centre.id)
    item = await session.get(ServiceItem, data.item_code)
    if item is None or item.deleted_at is not None:
        raise invalid_fields(
            {"location": "body.item_code", "message": "no such item", "code": "unknown_item"}
        )
    if data.starts_at <= now:
        raise invalid_fields(
            {
                "location": "body.starts_at",
                "message": "a slot must start in the future",
                "code": "in_the_past",
            }
        )
    day = business_day(centre, data.starts_at)
    if data.ends_at > _day_bounds(centre, day)[1]:
        raise invalid_fields(
            {
                "location": "body.ends_at",
                "message": f"a slot must end on the day it starts ({day.isoformat()}, local)",
                "code": "spans_days",
            }
        )
    opening = intervals(centre, day, await tickets.holidays(session, centre.id))
    if not any(opens <= data.starts_at and data.ends_at <= closes for opens, closes in opening):
        raise invalid_fields(
            {
                "location": "body.starts_at",
                "message": "the slot must fall within one of the day's opening intervals",
                "code": "outside_opening_hours",
            }
        )
    slot = AppointmentSlot(
        id=tickets.new_ticket_id(),
        centre_id=centre.id,
        item_code=item.code,
        starts_at=data.starts_at.astimezone(UTC),
        ends_at=data.ends_at.astimezone(UTC),
        capacity=data.capacity,
        booked=0,
    )
    session.add(slot)
    await session.flush()
    return slot


async def list_slots(
    *,
    session: AsyncSession,
    centre_id: str,
    item_code: str | None,
    day: date | None,
    now: datetime,
) -> Sequence[AppointmentSlot]:
    """The centre's slots starting on one local day, by default today at the centre."""
    centre = await tickets.live_centre(session, centre_id)
    start, end = _day_bounds(centre, day or business_day(centre, now))
    query = select(AppointmentSlot).where(
        AppointmentSlot.centre_id == centre.id,
        AppointmentSlot.deleted_at.is_(None),
        AppointmentSlot.starts_at >= start,
        AppointmentSlot.starts_at < end,
    )
    if item_code is not None:
        query = query.where(AppointmentSlot.item_code == item_code)
    order = (AppointmentSlot.starts_at, AppointmentSlot.item_code, AppointmentSlot.id)
    return (await session.scalars(query.order_by(*order))).all()


async def _slot(session: AsyncSession, slot_id: str, *, lock: bool = False) -> AppointmentSlot:
    query = select(AppointmentSlot).where(AppointmentSlot.id == slot_id)
    if lock:
        query = query.with_for_update()
    slot = await session.scalar(query)
    if slot is None or slot.deleted_at is not None:
        raise NotFound(f"no appointment slot {slot_id!r}")
    return slot


async def delete_slot(
    *, session: AsyncSession, principal: Principal, centre_id: str, slot_id: str, now: datetime
) -> None:
    """Soft-delete a slot nobody holds a booking for (checked-in seats do not count)."""
    centre = await tickets.live_centre(session, centre_id)
    ensure_centre(principal, centre.id)
    # Locked first: a booking increments this row, so it waits for the delete or vice versa.
    slot = await _slot(session, slot_id, lock=True)
    if slot.centre_id != centre.id:
        raise NotFound(f"no appointment slot {slot_id!r} at this centre")
    bookings = await session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(Appointment.slot_id == slot.id, Appointment.state == AppointmentState.BOOKED)
    )
    if bookings:
        raise SlotHasBookings(
            "cancel the slot's bookings first", slot_id=slot.id, bookings=int(bookings)
        )
    slot.deleted_at = now
    await session.flush()


# ---------------------------------------------------------------- booking


async def _holder_and_station(
    session: AsyncSession, principal: Principal, data: AppointmentCreate, centre: ServiceCentre
) -> tuple[str, str | None]:
    if principal.role is Role.CITIZEN:
        if data.holder_sub not in (None, principal.sub):
            raise Forbidden("a citizen books for herself only")
        return principal.sub, None
    if principal.role not in (Role.AGENT, Role.INTEGRATOR):
        raise Forbidden("citizens, agents and integrators book appointments")
    if data.holder_sub is None:
        raise invalid_fields(
            {
                "location": "body.holder_sub",
                "message": "name the resident the seat is for",
                "code": "missing_holder",
            }
        )
    if principal.role is Role.AGENT:
        return data.holder_sub, await tickets.agent_station(session, principal, centre)
    return data.holder_sub, None


async def book(
    *, session: AsyncSession, principal: Principal, data: AppointmentCreate, now: datetime
) -> Booking:
    slot = await _slot(session, data.slot_id)
    centre = await tickets.live_centre(session, slot.centre_id)
    holder, station_id = await _holder_and_station(session, principal, data, centre)
    if slot.starts_at <= now:
        raise SlotStarted(
            "book a slot that has not begun", slot_id=slot.id, starts_at=slot.starts_at.isoformat()
        )

    appointment = await _claim_seat_row(
        session,
        slot=slot,
        holder=holder,
        values={"booked_by": principal.sub, "station_id": station_id, "booked_at": now},
    )
    taken = await session.execute(
        update(AppointmentSlot)
        .where(
            AppointmentSlot.id == slot.id,
            AppointmentSlot.deleted_at.is_(None),
            AppointmentSlot.booked < AppointmentSlot.capacity,
        )
        .values(booked=AppointmentSlot.booked + 1)
        .execution_options(synchronize_session=False)
    )
    if not getattr(taken, "rowcount", 0):
        raise SlotFull("choose another slot", slot_id=slot.id, capacity=slot.capacity)
    booking = Booking(appointment, slot)
    await _record(session, "appointment.booked", booking, actor=principal.sub)
    await session.flush()
    return booking


async def _claim_seat_row(
    session: AsyncSession, *, slot: AppointmentSlot, holder: str, values: dict[str, Any]
) -> Appointment:
    """The holder's appointment row for the slot, locked: a new one, or her cancelled one booked
    again (the table keeps one row per holder and slot). 409 when she already holds a seat."""
    inserted = await insert_or_ignore(
        session,
        Appointment,
        {
            "id": tickets.new_ticket_id(),  # time-ordered, so listings by id follow booking order
            "slot_id": slot.id,
            "centre_id": slot.centre_id,
            "item_code": slot.item_code,
            "holder_sub": holder,
            "state": AppointmentState.BOOKED.value,
        }
        | values,
    )
    appointment = await session.scalar(
        select(Appointment)
        .where(Appointment.slot_id == slot.id, Appointment.holder_sub == holder)
        .with_for_update()
    )
    assert appointment is not None  # inserted above, or the row that was in the way
    if inserted:
        return appointment
    if appointment.state != AppointmentState.CANCELLED:
        raise AlreadyBooked(
            "the resident already holds a seat in this slot",
            appointment_id=appointment.id,
            state=appointment.state,
        )
    for field, value in values.items():
        setattr(appointment, field, value)
    appointment.state = AppointmentState.BOOKED.value
    return appointment


# ---------------------------------------------------------------- reading


def _visible(principal: Principal, appointment: Appointment) -> bool:
    """A citizen sees her own, an agent her station's, staff their centre's."""
    return {
        Role.CITIZEN: appointment.holder_sub == principal.sub,
        Role.AGENT: appointment.station_id is not None
        and appointment.station_id == principal.station,
        Role.CLERK: appointment.centre_id == principal.centre,
        Role.EXPERT: appointment.centre_id == principal.centre,
        Role.ADMIN: True,
        Role.INTEGRATOR: appointment.booked_by == principal.sub,
    }.get(principal.role, False)


async def get_booking(
    *, session: AsyncSession, principal: Principal, appointment_id: str, lock: bool = False
) -> Booking:
    query = select(Appointment).where(Appointment.id == appointment_id)
    if lock:
        query = query.with_for_update()
    appointment = await session.scalar(query)
    if appointment is None or not _visible(principal, appointment):
        raise NotFound(f"no appointment {appointment_id!r}")  # do not confirm that it exists
    slot = await session.get_one(AppointmentSlot, appointment.slot_id)
    return Booking(appointment, slot)


async def list_bookings(
    *,
    session: AsyncSession,
    principal: Principal,
    state: AppointmentState | None,
    limit: int,
    after: list[Any] | None,
) -> list[Booking]:
    query = select(Appointment, AppointmentSlot).join(
        AppointmentSlot, AppointmentSlot.id == Appointment.slot_id
    )
    match principal.role:
        case Role.CITIZEN:
            query = query.where(Appointment.holder_sub == principal.sub)
        case Role.AGENT:
            query = query.where(Appointment.station_id == principal.station)
        case Role.CLERK | Role.EXPERT:
            query = query.where(Appointment.centre_id == principal.centre)
        case Role.INTEGRATOR:
            query = query.where(Appointment.booked_by == principal.sub)
        case Role.ADMIN:
            pass
        case _:
            return []
    if state is not None:
        query = query.where(Appointment.state == state.value)
    if after:
        query = query.where(Appointment.id > str(after[0]))
    rows = await session.execute(query.order_by(Appointment.id).limit(limit))
    return [Booking(appointment, slot) for appointment, slot in rows]


# ---------------------------------------------------------------- cancelling


async def cancel(
    *, session: AsyncSession, principal: Principal, appointment_id: str, now: datetime
) -> Booking:
    booking = await get_booking(
        session=session, principal=principal, appointment_id=appointment_id, lock=True
    )
    if principal.role not in (Role.CITIZEN, Role.AGENT, Role.INTEGRATOR, Role.ADMIN):
        raise Forbidden("the appointment's holder, or whoever booked it, cancels it")
    appointment = booking.appointment
    if appointment.state != AppointmentState.BOOKED:
        raise NotBooked("only a booked appointment can be cancelled", state=appointment.state)
    appointment.state = AppointmentState.CANCELLED.value
    await session.execute(
        update(AppointmentSlot)
        .where(AppointmentSlot.id == appointment.slot_id, AppointmentSlot.booked > 0)
        .values(booked=AppointmentSlot.booked - 1)
        .execution_options(synchronize_session=False)
    )
    await _record(session, "appointment.cancelled", booking, actor=principal.sub)
    await session.flush()
    return booking


# ---------------------------------------------------------------- check-in


def _channel(principal: Principal, appointment: Appointment) -> Channel:
    """Where the resident is checking in from; only she, her station or her centre may."""
    match principal.role:
        case Role.CITIZEN if appointment.holder_sub == principal.sub:
            return Channel.APP
        case Role.AGENT if appointment.station_id == principal.station:
            return Channel.STATION
        case Role.CLERK | Role.ADMIN:
            ensure_centre(principal, appointment.centre_id)
            return Channel.COUNTER
    raise Forbidden("the holder, the station that booked, or a clerk of the centre checks in")


async def check_in(
    *, session: AsyncSession, principal: Principal, appointment_id: str, now: datetime
) -> tuple[Booking, Ticket]:
    booking = await get_booking(
        session=session, principal=principal, appointment_id=appointment_id, lock=True
    )
    appointment, slot = booking.appointment, booking.slot
    channel = _channel(principal, appointment)
    if appointment.state == AppointmentState.CHECKED_IN:
        raise AlreadyCheckedIn(
            "follow the ticket made at the first check-in", ticket_id=appointment.ticket_id
        )
    if appointment.state != AppointmentState.BOOKED:
        raise NotBooked("only a booked appointment can be checked in", state=appointment.state)

    centre = await tickets.live_centre(session, appointment.centre_id)
    item = await tickets.live_item(session, appointment.item_code)
    remote = channel is not Channel.COUNTER
    if remote and not item.remote_allowed:
        raise tickets.NotServedRemotely(
            f"{item.name} must be applied for at the counter: check in there",
            item_code=item.code,
        )
    window: dict[str, Any] = {
        "check_in_opens_at": check_in_opens_at(slot).isoformat(),
        "on_time_until": on_time_until(slot).isoformat(),
    }
    if now < check_in_opens_at(slot):
        raise CheckInTooEarly(
            f"check in from {local(centre, check_in_opens_at(slot)):%H:%M} (local time)", **window
        )
    if now <= on_time_until(slot):
        queue_class, queued_at = QueueClass.APPOINTMENT, slot.starts_at
    else:
        open_now = closing_time(centre, now, await tickets.holidays(session, centre.id))
        if open_now is None or business_day(centre, now) != business_day(centre, slot.starts_at):
            raise CheckInClosed("the appointment's day at the centre is over; book again", **window)
        # The booked place is lost; the resident queues as if she had just taken a number.
        queue_class = QueueClass.PRIORITY if item.priority else QueueClass.WALK_IN
        queued_at = now

    day = business_day(centre, now)
    sequence = await next_sequence(session, centre_id=centre.id, prefix=item.prefix, day=day)
    ticket = Ticket(
        id=tickets.new_ticket_id(),
        centre_id=centre.id,
        item_code=item.code,
        business_day=day,
        number=format_number(item.prefix, sequence),
        channel=channel.value,
        holder_sub=appointment.holder_sub,
        issued_by=principal.sub,
        agent_sub=principal.sub if channel is Channel.STATION else None,
        station_id=principal.station if channel is Channel.STATION else None,
        queue_class=queue_class.value,
        queued_at=queued_at,
        issued_at=now,
        state=State.WAITING.value,
        remote=remote,
        recalls=0,
        heartbeat_lost=False,
    )
    session.add(ticket)
    await tickets.emit(
        session,
        ticket,
        "ticket.issued",
        now=now,
        actor=principal.sub,
        extra={"appointment_id": appointment.id},
    )
    appointment.state = AppointmentState.CHECKED_IN.value
    appointment.ticket_id = ticket.id
    appointment.checked_in_at = now
    await _record(
        session,
        "appointment.checked_in",
        booking,
        actor=principal.sub,
        extra={"number": ticket.number, "queue_class": ticket.queue_class},
    )
    await session.flush()
    return booking, ticket


# ---------------------------------------------------------------- events


async def _record(
    session: AsyncSession,
    event_type: str,
    booking: Booking,
    *,
    actor: str,
    extra: dict[str, Any] | None = None,
) -> None:
    appointment, slot = booking.appointment, booking.slot
    data = {
        "appointment_id": appointment.id,
        "slot_id": slot.id,
        "centre_id": appointment.centre_id,
        "item_code": appointment.item_code,
        "starts_at": slot.starts_at.isoformat(),
        "holder_sub": appointment.holder_sub,
        "booked_by": appointment.booked_by,
        "station_id": appointment.station_id,
        "state": appointment.state,
        "ticket_id": appointment.ticket_id,
    } | (extra or {})
    await record_event(
        session,
        new_event(event_type, data, source=SOURCE, subject=appointment.id, actor=actor),
    )
