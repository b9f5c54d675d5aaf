from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, problem_doc
from cw_shared.http import require_json
from cw_shared.idempotency import IdempotencyRequired, Idempotent
from cw_shared.pagination import Page, Pagination, encode_cursor
from queue_api.appointments import service
from queue_api.appointments.models import AppointmentSlot
from queue_api.appointments.schemas import (
    ID_EXAMPLE,
    Appointment,
    AppointmentCreate,
    AppointmentState,
    CheckIn,
    Slot,
    SlotCreate,
)
from queue_api.centres.schemas import CENTRE_ID_PATTERN
from queue_api.clock import AppClock
from queue_api.config import QueueSettings
from queue_api.tickets import service as tickets
from queue_api.tickets.models import Ticket
from queue_api.tickets.schemas import ExpectedWait
from queue_api.tickets.schemas import Ticket as TicketOut

router = APIRouter(
    tags=["appointments"], dependencies=[Depends(require_json)], responses=PROBLEM_RESPONSES
)

SlotKeeper = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.ADMIN))]
CentreId = Annotated[str, Path(pattern=CENTRE_ID_PATTERN, examples=["dinghai"])]
SlotId = Annotated[str, Path(max_length=32, examples=[ID_EXAMPLE])]
AppointmentId = Annotated[str, Path(max_length=32, examples=["18f3a2b4d0e1f2a3b4c5d6e7f8091a2b"])]
SLOTS = "/v1/centres/{centre_id}/appointment-slots"
NO_CENTRE = problem_doc("No such centre")
NO_APPOINTMENT = problem_doc("No such appointment (or not yours to see)")


def _slot_out(slot: AppointmentSlot) -> Slot:
    return Slot(
        id=slot.id,
        centre_id=slot.centre_id,
        item_code=slot.item_code,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=slot.capacity,
        booked=slot.booked,
        remaining=max(slot.capacity - slot.booked, 0),
    )


def _out(booking: service.Booking) -> Appointment:
    appointment, slot = booking.appointment, booking.slot
    return Appointment(
        id=appointment.id,
        slot_id=slot.id,
        centre_id=appointment.centre_id,
        item_code=appointment.item_code,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        holder_sub=appointment.holder_sub,
        booked_by=appointment.booked_by,
        station_id=appointment.station_id,
        state=AppointmentState(appointment.state),
        ticket_id=appointment.ticket_id,
        booked_at=appointment.booked_at,
        checked_in_at=appointment.checked_in_at,
        check_in_opens_at=service.check_in_opens_at(slot),
        on_time_until=service.on_time_until(slot),
    )


async def _ticket_out(
    session: AsyncSession, ticket: Ticket, request: Request, clock: AppClock
) -> TicketOut:
    settings: QueueSettings = request.app.state.settings
    position, estimate = await tickets.estimate_for(
        session, ticket, now=clock.now(), settings=settings
    )
    out = TicketOut.model_validate(ticket, from_attributes=True)
    out.position = position
    out.expected_wait = ExpectedWait(**estimate.__dict__) if estimate else None
    return out


# ---------------------------------------------------------------- slots


@router.post(
    SLOTS,
    status_code=201,
    response_model=Slot,
    summary="Open a bookable slot for an item (admin, or a clerk of the centre)",
    responses={404: NO_CENTRE},
)
async def create_slot(
    centre_id: CentreId,
    body: SlotCreate,
    session: DbSession,
    keeper: SlotKeeper,
    clock: AppClock,
    idem: Idempotent,
) -> JSONResponse:
    slot = await service.create_slot(
        session=session, principal=keeper, centre_id=centre_id, data=body, now=clock.now()
    )
    return await idem.remember(_slot_out(slot), status_code=201)


@router.get(
    SLOTS,
    summary="A centre's slots on one local day, with the seats left",
    responses={404: NO_CENTRE},
)
async def list_slots(
    centre_id: CentreId,
    session: DbSession,
    _principal: CurrentPrincipal,
    clock: AppClock,
    item_code: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    day: Annotated[
        date | None,
        Query(description="The local date at the centre; default today", examples=["2026-11-24"]),
    ] = None,
) -> list[Slot]:
    slots = await service.list_slots(
        session=session, centre_id=centre_id, item_code=item_code, day=day, now=clock.now()
    )
    return [_slot_out(slot) for slot in slots]


@router.delete(
    SLOTS + "/{slot_id}",
    status_code=204,
    summary="Withdraw a slot nobody holds a booking for (admin, or a clerk of the centre)",
    responses={
        404: problem_doc("No such centre, or no such slot there"),
        409: problem_doc("The slot still has bookings (`bookings`)"),
    },
)
async def delete_slot(
    centre_id: CentreId, slot_id: SlotId, session: DbSession, keeper: SlotKeeper, clock: AppClock
) -> Response:
    await service.delete_slot(
        session=session, principal=keeper, centre_id=centre_id, slot_id=slot_id, now=clock.now()
    )
    return Response(status_code=204)


# ---------------------------------------------------------------- appointments


@router.post(
    "/v1/appointments",
    status_code=201,
    response_model=Appointment,
    summary="Book a seat in a slot (citizen for herself, agent or integrator for a resident)",
    responses={
        404: problem_doc("No such slot"),
        409: problem_doc("The slot is full or has begun, or the resident already holds a seat"),
    },
)
async def book(
    body: AppointmentCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    clock: AppClock,
    idem: IdempotencyRequired,
) -> JSONResponse:
    booking = await service.book(session=session, principal=principal, data=body, now=clock.now())
    return await idem.remember(_out(booking), status_code=201)


@router.get(
    "/v1/appointments",
    summary="Appointments the caller may follow (hers, her station's, her centre's)",
)
async def list_appointments(
    session: DbSession,
    principal: CurrentPrincipal,
    page: Pagination,
    state: Annotated[AppointmentState | None, Query()] = None,
) -> Page[Appointment]:
    bookings = await service.list_bookings(
        session=session, principal=principal, state=state, limit=page.limit, after=page.after
    )
    items = [_out(booking) for booking in bookings]
    next_cursor = encode_cursor([items[-1].id]) if len(items) == page.limit else None
    return Page[Appointment](items=items, next_cursor=next_cursor)


@router.get(
    "/v1/appointments/{appointment_id}",
    summary="One appointment, with its check-in window",
    responses={404: NO_APPOINTMENT},
)
async def get_appointment(
    appointment_id: AppointmentId, session: DbSession, principal: CurrentPrincipal
) -> Appointment:
    booking = await service.get_booking(
        session=session, principal=principal, appointment_id=appointment_id
    )
    return _out(booking)


@router.post(
    "/v1/appointments/{appointment_id}/cancel",
    summary="Cancel a booked appointment and free its seat (the holder, or who booked it)",
    responses={404: NO_APPOINTMENT, 409: problem_doc("Not booked (`state` says what it is)")},
)
async def cancel(
    appointment_id: AppointmentId, session: DbSession, principal: CurrentPrincipal, clock: AppClock
) -> Appointment:
    booking = await service.cancel(
        session=session, principal=principal, appointment_id=appointment_id, now=clock.now()
    )
    return _out(booking)


@router.post(
    "/v1/appointments/{appointment_id}/check-in",
    status_code=201,
    summary="Check in: the appointment becomes a ticket (the holder, her station, a clerk)",
    description=f"From {service.EARLY.seconds // 60} minutes before the booked time to "
    f"{service.LATE.seconds // 60} minutes after it, the ticket is queued at the booked time in "
    "the appointment class. Later the same day, while the centre is open, it joins the line of "
    "numbers taken at the check-in time.",
    responses={
        404: NO_APPOINTMENT,
        409: problem_doc(
            "Too early or too late (the window is in `check_in_opens_at`, `on_time_until`), "
            "already checked in (`ticket_id`), or cancelled"
        ),
    },
)
async def check_in(
    appointment_id: AppointmentId,
    session: DbSession,
    principal: CurrentPrincipal,
    request: Request,
    clock: AppClock,
) -> CheckIn:
    booking, ticket = await service.check_in(
        session=session, principal=principal, appointment_id=appointment_id, now=clock.now()
    )
    return CheckIn(
        appointment=_out(booking), ticket=await _ticket_out(session, ticket, request, clock)
    )
