from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from cw_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, problem_doc
from cw_shared.http import require_json
from cw_shared.idempotency import IdempotencyRequired
from cw_shared.pagination import Page, Pagination, encode_cursor
from queue_api.clock import AppClock
from queue_api.config import QueueSettings
from queue_api.tickets import service
from queue_api.tickets.models import State, Ticket
from queue_api.tickets.schemas import (
    CallTicket,
    Complete,
    ExpectedWait,
    ReturnToQueue,
    TicketCreate,
    Transfer,
)
from queue_api.tickets.schemas import Ticket as TicketOut
from queue_api.tickets.waits import Estimate

router = APIRouter(
    tags=["tickets"], dependencies=[Depends(require_json)], responses=PROBLEM_RESPONSES
)

Clerk = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.ADMIN))]
TicketId = Annotated[str, Path(max_length=32, examples=["5b1f0c3e2d7a4c1e9f8a7b6c5d4e3f2a"])]
CounterId = Annotated[str, Path(max_length=64, examples=["w3"])]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: problem_doc("Not allowed in the ticket's current state (`state` says which)")
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: problem_doc("No such ticket (or not yours to see)")
}


def _settings(request: Request) -> QueueSettings:
    settings: QueueSettings = request.app.state.settings
    return settings


async def _out(
    session: DbSession, ticket: Ticket, request: Request, now_clock: AppClock
) -> TicketOut:
    position, estimate = await service.estimate_for(
        session, ticket, now=now_clock.now(), settings=_settings(request)
    )
    return _view(ticket, position, estimate)


def _view(ticket: Ticket, position: int | None, estimate: Estimate | None) -> TicketOut:
    return TicketOut(
        id=ticket.id,
        number=ticket.number,
        centre_id=ticket.centre_id,
        item_code=ticket.item_code,
        channel=ticket.channel,
        holder_sub=ticket.holder_sub,
        agent_sub=ticket.agent_sub,
        station_id=ticket.station_id,
        queue_class=ticket.queue_class,
        state=ticket.state,
        remote=ticket.remote,
        issued_at=ticket.issued_at,
        counter_id=ticket.counter_id,
        called_at=ticket.called_at,
        recalls=ticket.recalls,
        heartbeat_lost=ticket.heartbeat_lost,
        outcome=ticket.outcome,
        case_number=ticket.case_number,
        position=position,
        expected_wait=ExpectedWait(**estimate.__dict__) if estimate else None,
    )


@router.post(
    "/v1/tickets",
    status_code=201,
    response_model=TicketOut,
    summary="Take a number (citizen for herself, agent for a resident, clerk for a walk-in)",
    responses={
        409: problem_doc("The centre is closed, or the queue is too long for today"),
        404: problem_doc("Unknown centre or item"),
    },
)
async def take_ticket(
    body: TicketCreate,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    clock: AppClock,
    idem: IdempotencyRequired,
) -> JSONResponse:
    ticket, position, estimate = await service.issue_ticket(
        session=session,
        principal=principal,
        data=body,
        now=clock.now(),
        settings=_settings(request),
    )
    return await idem.remember(_view(ticket, position, estimate), status_code=201)


@router.get(
    "/v1/tickets", summary="Tickets the caller may follow (hers, her station's, her centre's)"
)
async def list_tickets(
    session: DbSession,
    principal: CurrentPrincipal,
    request: Request,
    clock: AppClock,
    page: Pagination,
    centre_id: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[State | None, Query()] = None,
) -> Page[TicketOut]:
    tickets = await service.list_tickets(
        session=session,
        principal=principal,
        centre_id=centre_id,
        state=state.value if state else None,
        limit=page.limit,
        after=page.after,
    )
    items = [await _out(session, t, request, clock) for t in tickets]
    next_cursor = encode_cursor([items[-1].id]) if len(items) == page.limit else None
    return Page[TicketOut](items=items, next_cursor=next_cursor)


@router.get(
    "/v1/tickets/{ticket_id}",
    summary="One ticket, with its position and expected wait",
    responses=NOT_FOUND,
)
async def get_ticket(
    ticket_id: TicketId,
    session: DbSession,
    principal: CurrentPrincipal,
    request: Request,
    clock: AppClock,
) -> TicketOut:
    ticket = await service.get_ticket(session, ticket_id)
    service.ensure_can_follow(principal, ticket)
    return await _out(session, ticket, request, clock)


@router.post(
    "/v1/tickets/{ticket_id}/cancel",
    summary="Cancel a waiting or called ticket (its holder)",
    responses=NOT_FOUND | CONFLICT,
)
async def cancel(
    ticket_id: TicketId,
    session: DbSession,
    principal: CurrentPrincipal,
    request: Request,
    clock: AppClock,
) -> TicketOut:
    ticket = await service.cancel(
        session=session, ticket_id=ticket_id, holder=principal, now=clock.now()
    )
    return await _out(session, ticket, request, clock)


@router.post(
    "/v1/counters/{counter_id}/call-next",
    response_model=TicketOut,
    summary="Call the next ticket to this counter (the clerk who opened it)",
    responses={
        204: {"description": "Nobody is waiting for this counter's items"},
        404: problem_doc("No such counter"),
        409: problem_doc("The counter is closed"),
    },
)
async def call_next(
    counter_id: CounterId, session: DbSession, clerk: Clerk, request: Request, clock: AppClock
) -> Response | TicketOut:
    ticket = await service.call_next(
        session=session,
        counter_id=counter_id,
        clerk=clerk,
        now=clock.now(),
        settings=_settings(request),
    )
    if ticket is None:
        return Response(status_code=204)
    return await _out(session, ticket, request, clock)


@router.post(
    "/v1/tickets/{ticket_id}/call",
    summary="Call this ticket to a counter",
    responses=NOT_FOUND | CONFLICT,
)
async def call_ticket(
    ticket_id: TicketId,
    body: CallTicket,
    session: DbSession,
    clerk: Clerk,
    request: Request,
    clock: AppClock,
) -> TicketOut:
    ticket = await service.call_ticket(
        session=session,
        ticket_id=ticket_id,
        counter_id=body.counter_id,
        clerk=clerk,
        now=clock.now(),
        settings=_settings(request),
    )
    return await _out(session, ticket, request, clock)


@router.post(
    "/v1/tickets/{ticket_id}/return",
    summary="Return a called ticket to the queue",
    responses=NOT_FOUND | CONFLICT,
)
async def return_to_queue(
    ticket_id: TicketId,
    body: ReturnToQueue,
    session: DbSession,
    clerk: Clerk,
    request: Request,
    clock: AppClock,
) -> TicketOut:
    ticket = await service.return_to_queue(
        session=session,
        ticket_id=ticket_id,
        clerk=clerk,
        now=clock.now(),
        first=body.position == "first",
    )
    return await _out(session, ticket, request, clock)


@router.post(
    "/v1/tickets/{ticket_id}/transfer",
    summary="Transfer to another item or counter",
    responses=NOT_FOUND | CONFLICT,
)
async def transfer(
    ticket_id: TicketId,
    body: Transfer,
    session: DbSession,
    clerk: Clerk,
    request: Request,
    clock: AppClock,
) -> TicketOut:
    ticket = await service.transfer(
        session=session,
        ticket_id=ticket_id,
        clerk=clerk,
        now=clock.now(),
        item_code=body.item_code,
        counter_id=body.counter_id,
    )
    return await _out(session, ticket, request, clock)


@router.post(
    "/v1/tickets/{ticket_id}/complete",
    summary="Complete with an outcome (办结 / 补正 / 退回) and the case number (办件编号)",
    responses=NOT_FOUND | CONFLICT,
)
async def complete(
    ticket_id: TicketId,
    body: Complete,
    session: DbSession,
    clerk: Clerk,
    request: Request,
    clock: AppClock,
) -> TicketOut:
    ticket = await service.complete(
        session=session,
        ticket_id=ticket_id,
        clerk=clerk,
        now=clock.now(),
        outcome=body.outcome,
        case_number=body.case_number,
    )
    return await _out(session, ticket, request, clock)


# Transitions that need nothing but the ticket and the clerk: one endpoint each.
SIMPLE_TRANSITIONS: dict[str, tuple[service.Transition, str]] = {
    "recall": (service.recall, "Call the ticket again"),
    "serve": (service.start_serving, "Start serving the called ticket"),
    "no-show": (
        service.no_show,
        "Mark a no-show (after the centre's number of recalls, or a lost station)",
    ),
    "park": (service.park, "Park the ticket being served"),
    "resume": (service.resume, "Resume serving a parked ticket"),
}


def _transition_endpoint(action: str, transition: service.Transition, summary: str) -> None:
    @router.post(
        f"/v1/tickets/{{ticket_id}}/{action}",
        summary=summary,
        responses=NOT_FOUND | CONFLICT,
        name=action.replace("-", "_"),
    )
    async def endpoint(
        ticket_id: TicketId, session: DbSession, clerk: Clerk, request: Request, clock: AppClock
    ) -> TicketOut:
        ticket = await transition(
            session=session, ticket_id=ticket_id, clerk=clerk, now=clock.now()
        )
        return await _out(session, ticket, request, clock)


for _action, (_transition, _summary) in SIMPLE_TRANSITIONS.items():
    _transition_endpoint(_action, _transition, _summary)
