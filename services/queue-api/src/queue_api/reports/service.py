"""A business day's metrics, computed in Python over the day's tickets of one centre.

A centre issues at most a few thousand tickets a day, so three queries (the tickets, their
ratings, and the earlier 补正/退回 visits of the people who were done today) and a pass in
Python are cheaper to reason about than SQL percentiles that differ between SQLite and
PostgreSQL.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cw_shared.auth import Principal, ensure_centre
from queue_api.centres import service as centres
from queue_api.ratings.models import Rating, Rectification
from queue_api.ratings.schemas import AppealDecision
from queue_api.reports.schemas import DailyReport, DailyRow, GroupBy
from queue_api.tickets.models import Outcome, QueueClass, State, Ticket

FIRST_TIME_WINDOW = timedelta(days=30)
GOOD_SCORES = range(4, 6)
BAD_SCORES = range(1, 3)
NOT_DONE = (Outcome.NEEDS_MATERIAL.value, Outcome.REJECTED.value)
RATE_DECIMALS = 4
MINUTE_DECIMALS = 1

GroupKey = tuple[str, str | None, str | None]  # centre, item, counter


@dataclass(frozen=True)
class RatingFacts:
    score: int
    set_aside: bool  # an appeal against it was upheld


async def daily_report(
    *,
    session: AsyncSession,
    principal: Principal,
    centre_id: str,
    day: date,
    group_by: GroupBy,
    item_code: str | None,
    counter_id: str | None,
) -> DailyReport:
    ensure_centre(principal, centre_id)
    centre = await centres.get_centre(session=session, centre_id=centre_id)
    query = select(Ticket).where(Ticket.centre_id == centre.id, Ticket.business_day == day)
    if item_code is not None:
        query = query.where(Ticket.item_code == item_code)
    if counter_id is not None:
        query = query.where(Ticket.counter_id == counter_id)
    tickets = list((await session.scalars(query)).all())
    ratings = await _ratings(session, centre_id=centre.id, day=day)
    setbacks = await _earlier_setbacks(session, centre_id=centre.id, day=day, tickets=tickets)

    groups: dict[GroupKey, list[Ticket]] = defaultdict(list)
    if group_by is GroupBy.CENTRE:
        groups[(centre.id, None, None)] = []  # a row even on a day without tickets
    for ticket in tickets:
        groups[_key(ticket, group_by)].append(ticket)
    target = timedelta(minutes=centre.target_wait_minutes)
    rows = [
        _row(key, members, ratings=ratings, setbacks=setbacks, target=target)
        for key, members in sorted(groups.items(), key=lambda kv: _sortable(kv[0]))
    ]
    return DailyReport(
        centre_id=centre.id,
        day=day,
        group_by=group_by,
        target_wait_minutes=centre.target_wait_minutes,
        rows=rows,
    )


def _key(ticket: Ticket, group_by: GroupBy) -> GroupKey:
    if group_by is GroupBy.CENTRE:
        return (ticket.centre_id, None, None)
    if group_by is GroupBy.ITEM:
        return (ticket.centre_id, ticket.item_code, None)
    return (ticket.centre_id, None, ticket.counter_id)


def _sortable(key: GroupKey) -> tuple[str, str, str]:
    """Groups in name order; tickets never called (no counter) last."""
    return (key[0], key[1] or "\uffff", key[2] or "\uffff")


async def _ratings(session: AsyncSession, *, centre_id: str, day: date) -> dict[str, RatingFacts]:
    rows = await session.execute(
        select(Rating.ticket_id, Rating.score, Rectification.appeal_decision)
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .outerjoin(Rectification, Rectification.ticket_id == Rating.ticket_id)
        .where(Ticket.centre_id == centre_id, Ticket.business_day == day)
    )
    return {
        ticket_id: RatingFacts(score, decision == AppealDecision.UPHELD)
        for ticket_id, score, decision in rows
    }


async def _earlier_setbacks(
    session: AsyncSession, *, centre_id: str, day: date, tickets: Sequence[Ticket]
) -> dict[tuple[str, str], list[datetime]]:
    """When each person done at the centre that day had a ticket of the same item completed
    as 补正 or 退回 (at any centre), from the window before her first completion that day."""
    finished = [_finished(t) for t in tickets if _is_done(t)]
    if not finished:
        return {}
    today = aliased(Ticket)
    done_today = select(today.holder_sub).where(
        today.centre_id == centre_id,
        today.business_day == day,
        today.state == State.COMPLETED.value,
        today.outcome == Outcome.DONE.value,
    )
    rows = await session.execute(
        select(Ticket.holder_sub, Ticket.item_code, Ticket.finished_at).where(
            Ticket.holder_sub.in_(done_today),
            Ticket.state == State.COMPLETED.value,
            Ticket.outcome.in_(NOT_DONE),
            Ticket.finished_at >= min(finished) - FIRST_TIME_WINDOW,
            Ticket.finished_at < max(finished),
        )
    )
    setbacks: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for holder, item, at in rows:
        if at is not None:
            setbacks[(holder, item)].append(at)
    return setbacks


def _is_done(ticket: Ticket) -> bool:
    return ticket.state == State.COMPLETED and ticket.outcome == Outcome.DONE


def _finished(ticket: Ticket) -> datetime:
    assert ticket.finished_at is not None, "a completed ticket has finished"
    return ticket.finished_at


def _done_first_time(ticket: Ticket, setbacks: dict[tuple[str, str], list[datetime]]) -> bool:
    at = _finished(ticket)
    earlier = setbacks.get((ticket.holder_sub, ticket.item_code), ())
    return not any(at - FIRST_TIME_WINDOW <= before < at for before in earlier)


def _wait(ticket: Ticket) -> timedelta:
    """Issue to call; an appointment waits from its booked time when that was later."""
    assert ticket.called_at is not None
    start = ticket.issued_at
    if ticket.queue_class == QueueClass.APPOINTMENT:
        start = max(start, ticket.queued_at)
    return max(timedelta(0), ticket.called_at - start)


def _row(
    key: GroupKey,
    tickets: Sequence[Ticket],
    *,
    ratings: dict[str, RatingFacts],
    setbacks: dict[tuple[str, str], list[datetime]],
    target: timedelta,
) -> DailyRow:
    called = [t for t in tickets if t.called_at is not None]
    completed = [t for t in tickets if t.state == State.COMPLETED]
    no_shows = sum(1 for t in tickets if t.state == State.NO_SHOW)
    waits = [_wait(t) for t in called]
    services = [
        t.finished_at - t.serving_at
        for t in completed
        if t.serving_at is not None and t.finished_at is not None
    ]
    done = [t for t in completed if t.outcome == Outcome.DONE]
    rated = [ratings[t.id] for t in completed if t.id in ratings]
    counted = [r.score for r in rated if not r.set_aside]
    return DailyRow(
        centre_id=key[0],
        item_code=key[1],
        counter_id=key[2],
        issued=len(tickets),
        called=len(called),
        served=len(completed),
        no_shows=no_shows,
        no_show_rate=_rate(no_shows, len(called)),
        wait_p50_minutes=_minutes(_percentile(waits, 0.5)),
        wait_p90_minutes=_minutes(_percentile(waits, 0.9)),
        within_target_rate=_rate(sum(1 for w in waits if w <= target), len(waits)),
        service_p50_minutes=_minutes(_percentile(services, 0.5)),
        service_p90_minutes=_minutes(_percentile(services, 0.9)),
        done=len(done),
        first_time_rate=_rate(sum(1 for t in done if _done_first_time(t, setbacks)), len(done)),
        ratings=len(counted),
        good_rate=_rate(sum(1 for s in counted if s in GOOD_SCORES), len(counted)),
        bad_rate=_rate(sum(1 for s in counted if s in BAD_SCORES), len(counted)),
        unrated_rate=_rate(len(completed) - len(rated), len(completed)),
    )


def _percentile(values: Iterable[timedelta], q: float) -> timedelta | None:
    """Nearest rank: the smallest value with at least ``q`` of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, MINUTE_DECIMALS)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, RATE_DECIMALS) if whole else None
