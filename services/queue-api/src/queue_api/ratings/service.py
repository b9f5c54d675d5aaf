"""Ratings (好差评) of completed tickets, and the rectification (整改) of bad reviews.

A rating of 1 or 2 (差评) opens a rectification in the rating's own transaction. The centre
then has ``RECTIFICATION_DAYS`` to revisit the resident (回访), which closes it, or to appeal
the rating (申诉), which an admin upholds (closed; the rating leaves the 差评 rate) or rejects
(open again). A rectification still open after its due time is flagged once, with the event
``bad_review.overdue``, by :func:`overdue_loop` or an admin's call.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.auth import Principal, Role, ensure_centre
from cw_shared.db import Database
from cw_shared.errors import Conflict, Forbidden, NotFound
from cw_shared.events import new_event, record_event
from queue_api.clock import Clock
from queue_api.config import QueueSettings
from queue_api.ratings.models import Rating, Rectification
from queue_api.ratings.schemas import AppealDecision, RatingCreate, RectificationState
from queue_api.tickets import service as tickets
from queue_api.tickets.models import State, Ticket

log = structlog.get_logger(__name__)

SOURCE = QueueSettings.service_name
RECTIFICATION_DAYS = 5
BAD_REVIEW_MAX_SCORE = 2
OVERDUE_CHECK_SECONDS = 60.0


# ---------------------------------------------------------------- ratings


def _speaks_for_holder(principal: Principal, ticket: Ticket) -> bool:
    """The resident herself, or an agent of the station she was served through."""
    if principal.role is Role.CITIZEN:
        return ticket.holder_sub == principal.sub
    if principal.role is Role.AGENT:
        return ticket.station_id is not None and ticket.station_id == principal.station
    return False


def _may_read(principal: Principal, ticket: Ticket) -> bool:
    if _speaks_for_holder(principal, ticket):
        return True
    staff = principal.role in (Role.CLERK, Role.EXPERT, Role.ADMIN)
    return staff and principal.can_act_for_centre(ticket.centre_id)


async def rate(
    *,
    session: AsyncSession,
    ticket_id: str,
    principal: Principal,
    data: RatingCreate,
    now: datetime,
) -> Rating:
    ticket = await tickets.get_ticket(session, ticket_id, lock=True)
    if not _speaks_for_holder(principal, ticket):
        tickets.ensure_can_follow(principal, ticket)  # a stranger learns nothing: 404
        raise Forbidden("the resident, or an agent of her station, rates the service")
    if ticket.state != State.COMPLETED:
        raise tickets.InvalidTransition(
            f"the ticket is {ticket.state}; only a completed ticket is rated",
            state=ticket.state,
            ticket_id=ticket.id,
        )
    existing = await session.get(Rating, ticket.id)
    if existing is not None:
        raise Conflict(
            "this ticket has been rated",
            ticket_id=ticket.id,
            rated_at=existing.rated_at.isoformat(),
        )
    rating = Rating(
        ticket_id=ticket.id,
        centre_id=ticket.centre_id,
        item_code=ticket.item_code,
        counter_id=ticket.counter_id,
        case_number=ticket.case_number,
        holder_sub=ticket.holder_sub,
        score=data.score,
        indicators=data.indicators.model_dump(exclude_none=True),
        comment=data.comment,
        rated_at=now,
    )
    session.add(rating)
    await record_event(
        session,
        new_event(
            "rating.submitted",
            _rating_data(rating),
            source=SOURCE,
            subject=ticket.id,
            actor=principal.sub,
        ),
    )
    if rating.score <= BAD_REVIEW_MAX_SCORE:
        await _open_rectification(session, rating, actor=principal.sub, now=now)
    await session.flush()
    return rating


async def get_rating(*, session: AsyncSession, ticket_id: str, principal: Principal) -> Rating:
    ticket = await tickets.get_ticket(session, ticket_id)
    if not _may_read(principal, ticket):
        raise NotFound(f"no ticket {ticket_id!r}")
    rating = await session.get(Rating, ticket.id)
    if rating is None:
        raise NotFound("this ticket has not been rated", ticket_id=ticket.id, state=ticket.state)
    return rating


def _rating_data(rating: Rating) -> dict[str, Any]:
    return {
        "ticket_id": rating.ticket_id,
        "centre_id": rating.centre_id,
        "item_code": rating.item_code,
        "counter_id": rating.counter_id,
        "case_number": rating.case_number,
        "holder_sub": rating.holder_sub,
        "score": rating.score,
        "indicators": rating.indicators,
        "comment": rating.comment,
        "rated_at": rating.rated_at.isoformat(),
    }


# ---------------------------------------------------------------- rectifications


def new_rectification_id() -> str:
    """Time-ordered, so that listing by id lists the oldest first."""
    return f"{time.time_ns():016x}{secrets.token_hex(8)}"


async def _open_rectification(
    session: AsyncSession, rating: Rating, *, actor: str, now: datetime
) -> Rectification:
    rectification = Rectification(
        id=new_rectification_id(),
        ticket_id=rating.ticket_id,
        centre_id=rating.centre_id,
        state=RectificationState.OPEN.value,
        due_at=now + timedelta(days=RECTIFICATION_DAYS),
        opened_at=now,
    )
    session.add(rectification)
    await _emit(session, "rectification.opened", rectification, rating.score, actor=actor)
    return rectification


async def _emit(
    session: AsyncSession,
    event_type: str,
    rectification: Rectification,
    score: int,
    *,
    actor: str | None,
) -> None:
    data = {
        "rectification_id": rectification.id,
        "ticket_id": rectification.ticket_id,
        "centre_id": rectification.centre_id,
        "state": rectification.state,
        "score": score,
        "due_at": rectification.due_at.isoformat(),
        "appeal_decision": rectification.appeal_decision,
    }
    await record_event(
        session,
        new_event(event_type, data, source=SOURCE, subject=rectification.id, actor=actor),
    )


def _with_score() -> Select[Rectification, int]:
    return select(Rectification, Rating.score).join(
        Rating, Rating.ticket_id == Rectification.ticket_id
    )


async def get_rectification(
    *,
    session: AsyncSession,
    rectification_id: str,
    principal: Principal,
    lock: bool = False,
) -> tuple[Rectification, int]:
    query = _with_score().where(Rectification.id == rectification_id)
    if lock:
        query = query.with_for_update(of=Rectification)
    row = (await session.execute(query)).one_or_none()
    if row is None or not principal.can_act_for_centre(row[0].centre_id):
        raise NotFound(f"no rectification {rectification_id!r}")
    return row[0], row[1]


async def list_rectifications(
    *,
    session: AsyncSession,
    principal: Principal,
    centre_id: str | None,
    state: RectificationState | None,
    limit: int,
    after_id: str | None,
) -> list[tuple[Rectification, int]]:
    """Oldest first; clerks see their own centre's, admins any centre's or all."""
    if principal.role is not Role.ADMIN:
        if centre_id is not None:
            ensure_centre(principal, centre_id)
        centre_id = principal.centre
    query = _with_score()
    if centre_id is not None:
        query = query.where(Rectification.centre_id == centre_id)
    if state is not None:
        query = query.where(Rectification.state == state.value)
    if after_id is not None:
        query = query.where(Rectification.id > after_id)
    rows = await session.execute(query.order_by(Rectification.id).limit(limit))
    return [(r[0], r[1]) for r in rows]


def _require(rectification: Rectification, *allowed: RectificationState) -> None:
    if rectification.state not in {state.value for state in allowed}:
        raise Conflict(
            f"the rectification is {rectification.state}",
            state=rectification.state,
            rectification_id=rectification.id,
        )


async def revisit(
    *,
    session: AsyncSession,
    rectification_id: str,
    principal: Principal,
    note: str,
    now: datetime,
) -> tuple[Rectification, int]:
    """The resident was revisited (回访): that is the rectification done, so it closes."""
    rectification, score = await get_rectification(
        session=session, rectification_id=rectification_id, principal=principal, lock=True
    )
    _require(rectification, RectificationState.OPEN)
    rectification.revisit_note = note
    rectification.revisited_at = now
    rectification.state = RectificationState.CLOSED.value
    rectification.closed_at = now
    await _emit(session, "rectification.revisited", rectification, score, actor=principal.sub)
    await session.flush()
    return rectification, score


async def appeal(
    *,
    session: AsyncSession,
    rectification_id: str,
    principal: Principal,
    reason: str,
) -> tuple[Rectification, int]:
    """The centre contests the rating (申诉); one appeal per rectification."""
    rectification, score = await get_rectification(
        session=session, rectification_id=rectification_id, principal=principal, lock=True
    )
    _require(rectification, RectificationState.OPEN)
    if rectification.appeal_decision is not None:
        raise Conflict(
            "this rating was appealed already; revisit the resident",
            state=rectification.state,
            appeal_decision=rectification.appeal_decision,
        )
    rectification.appeal_reason = reason
    rectification.state = RectificationState.APPEALED.value
    await _emit(session, "rectification.appealed", rectification, score, actor=principal.sub)
    await session.flush()
    return rectification, score


async def decide_appeal(
    *,
    session: AsyncSession,
    rectification_id: str,
    principal: Principal,
    decision: AppealDecision,
    now: datetime,
) -> tuple[Rectification, int]:
    rectification, score = await get_rectification(
        session=session, rectification_id=rectification_id, principal=principal, lock=True
    )
    _require(rectification, RectificationState.APPEALED)
    rectification.appeal_decision = decision.value
    if decision is AppealDecision.UPHELD:
        rectification.state = RectificationState.CLOSED.value
        rectification.closed_at = now
    else:
        rectification.state = RectificationState.OPEN.value
    await _emit(session, "rectification.appeal_decided", rectification, score, actor=principal.sub)
    await session.flush()
    return rectification, score


# ---------------------------------------------------------------- overdue


async def flag_overdue(session: AsyncSession, now: datetime) -> int:
    """Flag each open rectification past its due time once, with ``bad_review.overdue``.

    Rows another transaction is flagging are skipped, not waited for: with several replicas
    each rectification is still flagged by exactly one of them.
    """
    rows = (
        await session.execute(
            _with_score()
            .where(
                Rectification.state == RectificationState.OPEN.value,
                Rectification.due_at < now,
                Rectification.overdue_notified_at.is_(None),
            )
            .order_by(Rectification.due_at, Rectification.id)
            .with_for_update(of=Rectification, skip_locked=True)
        )
    ).all()
    for rectification, score in rows:
        rectification.overdue_notified_at = now
        await _emit(session, "bad_review.overdue", rectification, score, actor=None)
    await session.flush()
    return len(rows)


async def overdue_loop(
    app: FastAPI,
    *,
    stop: asyncio.Event | None = None,
    interval_seconds: float = OVERDUE_CHECK_SECONDS,
) -> None:
    """Run :func:`flag_overdue` every ``interval_seconds`` until ``stop`` is set.

    Stop it by setting ``stop`` and awaiting the task rather than cancelling it: a task
    cancelled in the middle of an asyncpg query can leave its connection unusable (0004).
    """
    stop = stop or asyncio.Event()
    database: Database = app.state.database
    while not stop.is_set():
        try:
            async with database.sessionmaker() as session:
                session.info.update(app.state.session_info)  # wakes the outbox relay
                async with session.begin():
                    clock: Clock = app.state.clock
                    flagged = await flag_overdue(session, clock.now())
            if flagged:
                log.info("overdue rectifications flagged", flagged=flagged)
        except Exception:
            log.exception("the overdue check failed; retrying at the next interval")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)
