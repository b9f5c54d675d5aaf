"""Writing the feed, and fanning it out to the open streams of this process.

A feed entry is written in the same transaction as the change it shows. After the commit the
session wakes the hub, which reads the new entries once and hands them to every subscriber of
that centre; replicas that did not make the change pick it up on their next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from cw_shared.db import Database
from queue_api.feed.models import FeedEntry

log = structlog.get_logger(__name__)

WAKEUP_KEY = "feed_wakeup"
_WRITTEN_KEY = "feed_written"
SUBSCRIBER_BACKLOG = 1000


async def record_feed(
    session: AsyncSession,
    *,
    centre_id: str,
    kind: str,
    data: dict[str, Any],
    at: datetime,
    ticket_id: str | None = None,
) -> None:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # Entries of one centre commit in seq order, so a reader never skips a late commit.
        await session.execute(select(func.pg_advisory_xact_lock(_centre_key(centre_id))))
    session.add(FeedEntry(centre_id=centre_id, ticket_id=ticket_id, kind=kind, data=data, at=at))
    session.info[_WRITTEN_KEY] = True


def _centre_key(centre_id: str) -> int:
    digest = hashlib.sha256(f"cw-feed:{centre_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@event.listens_for(Session, "after_commit")
def _wake_hub_after_commit(session: Session) -> None:
    if session.info.pop(_WRITTEN_KEY, False) and (wakeup := session.info.get(WAKEUP_KEY)):
        wakeup()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_entries(session: Session) -> None:
    session.info.pop(_WRITTEN_KEY, None)


RETRY_MS = 3000
HEARTBEAT_SECONDS = 15.0


def sse_frame(*, event: str, data: Any, event_id: int | None = None) -> bytes:
    """One Server-Sent Event on the wire (the JSON on one ``data:`` line)."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\nretry: {RETRY_MS}\ndata: {payload}\n\n".encode()


@dataclass(frozen=True)
class Item:
    seq: int
    centre_id: str
    ticket_id: str | None
    kind: str
    data: dict[str, Any]
    at: datetime
    frame: bytes  # encoded once, sent to every subscriber


# Put in every queue now and then, so each stream sends a keep-alive without a timer of its own.
HEARTBEAT = Item(0, "", None, "heartbeat", {}, datetime.min, b": ping\n\n")


def _item(entry: FeedEntry) -> Item:
    frame = sse_frame(event=entry.kind, data=entry.data, event_id=entry.seq)
    return Item(
        entry.seq, entry.centre_id, entry.ticket_id, entry.kind, entry.data, entry.at, frame
    )


async def entries_after(
    session: AsyncSession,
    *,
    centre_id: str,
    after: int,
    ticket_id: str | None = None,
    limit: int = 500,
) -> list[Item]:
    query = select(FeedEntry).where(FeedEntry.centre_id == centre_id, FeedEntry.seq > after)
    if ticket_id is not None:
        query = query.where(FeedEntry.ticket_id == ticket_id)
    rows = await session.scalars(query.order_by(FeedEntry.seq).limit(limit))
    return [_item(row) for row in rows]


async def last_seq(session: AsyncSession, *, centre_id: str) -> int:
    query = select(FeedEntry.seq).where(FeedEntry.centre_id == centre_id)
    value = await session.scalar(query.order_by(FeedEntry.seq.desc()).limit(1))
    return int(value or 0)


class FeedHub:
    """One reader of the feed table per process; subscribers get their centre's entries."""

    def __init__(self, database: Database, *, poll_seconds: float = 1.0) -> None:
        self.database = database
        self.poll_seconds = poll_seconds
        self._queues: dict[str, set[asyncio.Queue[Item]]] = defaultdict(set)
        self._last: dict[str, int] = {}  # per centre with subscribers
        self._wakeup = asyncio.Event()
        self._first_subscriber = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wakeup.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="feed-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @contextlib.asynccontextmanager
    async def subscribe(self, centre_id: str) -> AsyncIterator[asyncio.Queue[Item]]:
        """Entries committed after this returns are delivered; earlier ones are the caller's
        to read from the database (and to de-duplicate by seq)."""
        queue: asyncio.Queue[Item] = asyncio.Queue(SUBSCRIBER_BACKLOG)
        async with self._first_subscriber:  # a crowd reconnecting at once reads the cursor once
            if centre_id not in self._last:
                async with self.database.sessionmaker() as session:
                    self._last[centre_id] = await last_seq(session, centre_id=centre_id)
            self._queues[centre_id].add(queue)
        try:
            yield queue
        finally:
            self._queues[centre_id].discard(queue)
            if not self._queues[centre_id]:
                del self._queues[centre_id]
                self._last.pop(centre_id, None)

    @property
    def subscribers(self) -> int:
        return sum(len(queues) for queues in self._queues.values())

    async def _run(self) -> None:
        last_heartbeat = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)
            self._wakeup.clear()
            if time.monotonic() - last_heartbeat >= HEARTBEAT_SECONDS:
                last_heartbeat = time.monotonic()
                self._broadcast_heartbeat()
            try:
                await self._dispatch_new()
            except Exception as exc:  # the database may be briefly away; the next poll retries
                log.warning("feed hub read failed", error=str(exc))

    def _broadcast_heartbeat(self) -> None:
        for queues in self._queues.values():
            for queue in queues:
                if not queue.full():
                    queue.put_nowait(HEARTBEAT)

    async def _dispatch_new(self) -> None:
        if not self._last:
            return
        floor = min(self._last.values())
        async with self.database.sessionmaker() as session:
            rows = (
                await session.scalars(
                    select(FeedEntry)
                    .where(FeedEntry.seq > floor, FeedEntry.centre_id.in_(list(self._last)))
                    .order_by(FeedEntry.seq)
                )
            ).all()
        for row in rows:
            if row.seq <= self._last.get(row.centre_id, row.seq):
                continue
            self._last[row.centre_id] = row.seq
            item = _item(row)
            for queue in list(self._queues.get(row.centre_id, ())):
                if queue.full():  # a stalled client; it resumes from the database
                    continue
                queue.put_nowait(item)
