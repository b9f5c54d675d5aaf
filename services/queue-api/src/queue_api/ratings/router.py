from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from cw_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from cw_shared.db import DbSession
from cw_shared.errors import PROBLEM_RESPONSES, problem_doc
from cw_shared.http import require_json
from cw_shared.idempotency import IdempotencyRequired
from cw_shared.pagination import Page, Pagination, encode_cursor
from queue_api.centres.schemas import CENTRE_ID_PATTERN
from queue_api.clock import AppClock
from queue_api.ratings import models, service
from queue_api.ratings.schemas import (
    SCORE_LABELS,
    Appeal,
    AppealDecision,
    AppealDecisionCreate,
    Indicators,
    OverdueCheck,
    Rating,
    RatingCreate,
    Rectification,
    RectificationState,
    Revisit,
)

router = APIRouter(
    tags=["ratings"], dependencies=[Depends(require_json)], responses=PROBLEM_RESPONSES
)

Staff = Annotated[Principal, Depends(require_roles(Role.CLERK, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
TicketId = Annotated[str, Path(max_length=32, examples=["5b1f0c3e2d7a4c1e9f8a7b6c5d4e3f2a"])]
RectificationId = Annotated[str, Path(max_length=32, examples=["187a9c2b3d4e5f60a1b2c3d4e5f60718"])]
Responses = dict[int | str, dict[str, Any]]
NO_TICKET: Responses = {404: problem_doc("No such ticket (or not yours to see)")}
NO_RECTIFICATION: Responses = {404: problem_doc("No such rectification at the caller's centre")}
WRONG_STATE: Responses = {
    409: problem_doc("Not allowed in the rectification's state (`state` says which)")
}


def _rating_out(rating: models.Rating) -> Rating:
    return Rating(
        ticket_id=rating.ticket_id,
        centre_id=rating.centre_id,
        item_code=rating.item_code,
        counter_id=rating.counter_id,
        case_number=rating.case_number,
        holder_sub=rating.holder_sub,
        score=rating.score,
        score_label=SCORE_LABELS[rating.score],
        indicators=Indicators.model_validate(rating.indicators),
        comment=rating.comment,
        rated_at=rating.rated_at,
    )


def _rectification_out(
    rectification: models.Rectification, score: int, now: datetime
) -> Rectification:
    return Rectification(
        id=rectification.id,
        ticket_id=rectification.ticket_id,
        centre_id=rectification.centre_id,
        state=RectificationState(rectification.state),
        score=score,
        due_at=rectification.due_at,
        overdue=rectification.state == RectificationState.OPEN and now > rectification.due_at,
        overdue_notified_at=rectification.overdue_notified_at,
        revisit_note=rectification.revisit_note,
        revisited_at=rectification.revisited_at,
        appeal_reason=rectification.appeal_reason,
        appeal_decision=AppealDecision(rectification.appeal_decision)
        if rectification.appeal_decision
        else None,
        opened_at=rectification.opened_at,
        closed_at=rectification.closed_at,
    )


@router.post(
    "/v1/tickets/{ticket_id}/rating",
    status_code=201,
    response_model=Rating,
    summary="Rate a completed ticket (好差评), once: the resident, or her station's agent",
    responses=NO_TICKET
    | {409: problem_doc("The ticket is not completed (`state`), or it was rated already")},
)
async def rate(
    ticket_id: TicketId,
    body: RatingCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    clock: AppClock,
    idem: IdempotencyRequired,
) -> JSONResponse:
    rating = await service.rate(
        session=session, ticket_id=ticket_id, principal=principal, data=body, now=clock.now()
    )
    return await idem.remember(_rating_out(rating), status_code=201)


@router.get(
    "/v1/tickets/{ticket_id}/rating",
    summary="A ticket's rating (its holder, her station's agent, the centre's staff)",
    responses={404: problem_doc("No such ticket, or it has not been rated")},
)
async def get_rating(
    ticket_id: TicketId, session: DbSession, principal: CurrentPrincipal
) -> Rating:
    rating = await service.get_rating(session=session, ticket_id=ticket_id, principal=principal)
    return _rating_out(rating)


@router.get(
    "/v1/rectifications",
    summary="Rectifications of bad reviews (整改), oldest first (the centre's clerks, admins)",
)
async def list_rectifications(
    session: DbSession,
    staff: Staff,
    page: Pagination,
    clock: AppClock,
    centre_id: Annotated[
        str | None,
        Query(pattern=CENTRE_ID_PATTERN, description="Default: the clerk's centre; admins: all"),
    ] = None,
    state: Annotated[RectificationState | None, Query()] = None,
) -> Page[Rectification]:
    rows = await service.list_rectifications(
        session=session,
        principal=staff,
        centre_id=centre_id,
        state=state,
        limit=page.limit,
        after_id=str(page.after[0]) if page.after else None,
    )
    now = clock.now()
    items = [_rectification_out(r, score, now) for r, score in rows]
    next_cursor = encode_cursor([items[-1].id]) if len(items) == page.limit else None
    return Page[Rectification](items=items, next_cursor=next_cursor)


@router.post(
    "/v1/rectifications/overdue-check",
    summary="Flag open rectifications past their due time now (admin; also runs periodically)",
)
async def overdue_check(session: DbSession, _admin: Admin, clock: AppClock) -> OverdueCheck:
    return OverdueCheck(flagged=await service.flag_overdue(session, clock.now()))


@router.get(
    "/v1/rectifications/{rectification_id}",
    summary="One rectification",
    responses=NO_RECTIFICATION,
)
async def get_rectification(
    rectification_id: RectificationId, session: DbSession, staff: Staff, clock: AppClock
) -> Rectification:
    rectification, score = await service.get_rectification(
        session=session, rectification_id=rectification_id, principal=staff
    )
    return _rectification_out(rectification, score, clock.now())


@router.post(
    "/v1/rectifications/{rectification_id}/revisit",
    summary="Record the revisit of the resident (回访); this closes the rectification",
    responses=NO_RECTIFICATION | WRONG_STATE,
)
async def revisit(
    rectification_id: RectificationId,
    body: Revisit,
    session: DbSession,
    staff: Staff,
    clock: AppClock,
) -> Rectification:
    now = clock.now()
    rectification, score = await service.revisit(
        session=session,
        rectification_id=rectification_id,
        principal=staff,
        note=body.note,
        now=now,
    )
    return _rectification_out(rectification, score, now)


@router.post(
    "/v1/rectifications/{rectification_id}/appeal",
    summary="Appeal the rating (申诉) for an admin to decide; once per rectification",
    responses=NO_RECTIFICATION | WRONG_STATE,
)
async def appeal(
    rectification_id: RectificationId,
    body: Appeal,
    session: DbSession,
    staff: Staff,
    clock: AppClock,
) -> Rectification:
    rectification, score = await service.appeal(
        session=session, rectification_id=rectification_id, principal=staff, reason=body.reason
    )
    return _rectification_out(rectification, score, clock.now())


@router.post(
    "/v1/rectifications/{rectification_id}/appeal-decision",
    summary="Decide an appeal (admin): upheld closes it, rejected reopens it",
    responses=NO_RECTIFICATION | WRONG_STATE,
)
async def decide_appeal(
    rectification_id: RectificationId,
    body: AppealDecisionCreate,
    session: DbSession,
    admin: Admin,
    clock: AppClock,
) -> Rectification:
    now = clock.now()
    rectification, score = await service.decide_appeal(
        session=session,
        rectification_id=rectification_id,
        principal=admin,
        decision=body.decision,
        now=now,
    )
    return _rectification_out(rectification, score, now)
