"""The transactional outbox and its relay.

``record_event`` writes an event into the ``outbox`` table inside the caller's transaction, so
an event exists exactly when the change that caused it was committed. The relay publishes the
rows in commit order with the event id as ``Nats-Msg-Id`` (JetStream drops the duplicate if a
crash makes it publish a row twice) and marks them published. One relay per database publishes
at a time: on PostgreSQL it holds an advisory lock, so replicas stand by instead of
interleaving; a SQLite file belongs to one process.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

import structlog
from sqlalchemy import Row, event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from cw_shared.db import Database
from cw_shared.events.envelope import Event
from cw_shared.metrics import OUTBOX_LAG, OUTBOX_PUBLISH_ERRORS, OUTBOX_PUBLISHED
from cw_shared.tables import OutboxRow

log = structlog.get_logger("cw.outbox")

# Set by the app on every session it makes; called after a commit that wrote events.
WAKEUP_KEY = "outbox_wakeup"
_WRITTEN_KEY = "outbox_written"

Publish = Callable[[str, str, bytes], Awaitable[None]]  # (event id, event type, envelope)


async def record_event(session: AsyncSession, event_: Event) -> None:
    """Add ``event_`` to the outbox in the session's transaction."""
    session.add(
        OutboxRow(
            event_id=event_.id,
            event_type=event_.type,
            envelope=event_.model_dump_json(),
            created_at=event_.time,
        )
    )
    session.info[_WRITTEN_KEY] = True


@event.listens_for(Session, "after_commit")
def _wake_relay_after_commit(session: Session) -> None:
    if session.info.pop(_WRITTEN_KEY, False) and (wakeup := session.info.get(WAKEUP_KEY)):
        wakeup()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_events(session: Session) -> None:
    session.info.pop(_WRITTEN_KEY, None)


def _lock_key(service: str) -> int:
    digest = hashlib.sha256(f"cw-outbox:{service}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class OutboxRelay:
    def __init__(
        self,
        *,
        database: Database,
        publish: Publish,
        service: str,
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self.database = database
        self.publish = publish
        self.service = service
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wakeup.set()

    async def stop(self, task: asyncio.Task[None], timeout: float = 10.0) -> None:
        """Let ``run`` finish its batch and return. Cancelling it mid-query could leave a
        database connection in an unusable state (asyncpg), so cancel only as a last resort."""
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def run(self) -> None:
        """Relay until stopped; publishing failures are retried with capped backoff."""
        async with self._leadership():
            failures = 0
            while not self._stopping:
                self._wakeup.clear()
                try:
                    relayed = await self.relay_batch()
                    failures = 0
                except Exception as exc:
                    failures += 1
                    OUTBOX_PUBLISH_ERRORS.labels(self.service).inc()
                    delay = self._backoff(failures)
                    log.warning("outbox relay failed", error=str(exc), retry_in_s=round(delay, 2))
                    await self._wait_for_work(delay)
                    continue
                if relayed < self.batch_size:
                    await self._wait_for_work(self.poll_seconds)

    async def relay_batch(self) -> int:
        """Publish the oldest unpublished events in order; returns how many were published."""
        rows = await self._pending()
        published: list[int] = []
        try:
            for row in rows:
                await self.publish(row.event_id, row.event_type, row.envelope.encode())
                published.append(row.seq)
                OUTBOX_LAG.labels(self.service).observe(_age_seconds(row.created_at))
        finally:
            if published:
                await self._mark_published(published)
                OUTBOX_PUBLISHED.labels(self.service).inc(len(published))
        return len(published)

    async def pending_count(self) -> int:
        async with self.database.sessionmaker() as session:
            count = await session.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.published_at.is_(None))
            )
            return int(count or 0)

    async def _pending(self) -> Sequence[Row[int, str, str, str, datetime]]:
        async with self.database.sessionmaker() as session:
            result = await session.execute(
                select(
                    OutboxRow.seq,
                    OutboxRow.event_id,
                    OutboxRow.event_type,
                    OutboxRow.envelope,
                    OutboxRow.created_at,
                )
                .where(OutboxRow.published_at.is_(None))
                .order_by(OutboxRow.seq)
                .limit(self.batch_size)
            )
            return result.all()

    async def _mark_published(self, seqs: list[int]) -> None:
        async with self.database.sessionmaker() as session, session.begin():
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.seq.in_(seqs))
                .values(published_at=datetime.now(UTC))
            )

    async def _wait_for_work(self, timeout: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=timeout)

    def _backoff(self, failures: int) -> float:
        base: float = min(self.max_backoff_seconds, 0.1 * 2**failures)
        return base * random.uniform(0.5, 1.0)  # noqa: S311  (jitter, not security)

    @asynccontextmanager
    async def _leadership(self) -> AsyncIterator[None]:
        if self.database.is_sqlite:
            yield
            return
        key = _lock_key(self.service)
        async with self.database.engine.connect() as connection:
            leader = False
            while not self._stopping:
                leader = bool(await connection.scalar(select(func.pg_try_advisory_lock(key))))
                await connection.commit()
                if leader:
                    log.info("outbox relay is the leader")
                    break
                await self._wait_for_work(self.poll_seconds)
            try:
                yield
            finally:
                if leader:
                    await connection.execute(select(func.pg_advisory_unlock(key)))
                    await connection.commit()


def _age_seconds(created_at: datetime) -> float:
    if created_at.tzinfo is None:  # SQLite returns naive datetimes
        created_at = created_at.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - created_at).total_seconds())
