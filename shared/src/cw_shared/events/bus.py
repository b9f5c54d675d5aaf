"""The event bus: FastStream's NATS broker on one JetStream stream.

Every consumer is a durable pull consumer named after its service and event type, so replicas
of a service share the work and a restart resumes where it stopped. A handler runs inside a
transaction that also records the event id in the ``inbox``: a redelivered event is
acknowledged without running again. A failed handler is NAKed with exponential backoff; after
``bus_max_deliver`` attempts the message is copied to ``dlq.<consumer>.<type>`` (its own
stream) and terminated. FastStream's JetStream default, terminate on first error, is not used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import nats.errors
import nats.js.errors
import structlog
from faststream import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from nats.js.api import StorageType, StreamConfig
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.db import Database, insert_or_ignore
from cw_shared.events.envelope import SUBJECT_PREFIX, Event, subject_for
from cw_shared.events.outbox import WAKEUP_KEY, OutboxRelay
from cw_shared.metrics import BUS_CONNECTED, EVENTS_DEAD_LETTERED, EVENTS_HANDLED
from cw_shared.settings import ServiceSettings
from cw_shared.tables import InboxRow

log = structlog.get_logger("cw.bus")

Handler = Callable[[AsyncSession, Event], Awaitable[None]]
DEAD_LETTER_PREFIX = "dlq."
PUBLISH_TIMEOUT_SECONDS = 5.0


def dead_letter_stream(stream: str) -> str:
    return f"{stream}_DLQ"


def consumer_name(service: str, event_type: str) -> str:
    return f"{service}__{event_type.replace('.', '_')}"


class Bus:
    """One service's connection to the bus: its consumers, its outbox relay."""

    def __init__(self, settings: ServiceSettings, database: Database) -> None:
        self.settings = settings
        self.service = settings.service_name
        self.database = database
        self.broker = NatsBroker(
            [url.strip() for url in settings.nats_url.split(",")],
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=2,
            logger=logging.getLogger("faststream"),
            log_level=logging.DEBUG,
        )
        self._stream = JStream(settings.bus_stream, declare=False)
        self.relay = OutboxRelay(
            database=database,
            publish=self.publish,
            service=self.service,
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            max_backoff_seconds=settings.outbox_max_backoff_seconds,
        )
        self.session_info: dict[str, Any] = {WAKEUP_KEY: self.relay.wake}
        self._relay_task: asyncio.Task[None] | None = None

    def consumer(self, event_type: str) -> Callable[[Handler], Handler]:
        """Register ``handler(session, event)`` for ``event_type`` (call before ``start``)."""

        def register(handler: Handler) -> Handler:
            self._subscribe(event_type, handler)
            return handler

        return register

    async def start(self, *, relay: bool = True) -> None:
        await self.broker.connect()
        await self.ensure_streams()
        await self.broker.start()
        BUS_CONNECTED.labels(self.service).set(1)
        if relay:
            self.start_relay()

    def start_relay(self) -> None:
        self._relay_task = asyncio.create_task(self.relay.run(), name=f"{self.service}-outbox")

    async def stop(self) -> None:
        if self._relay_task is not None:
            await self.relay.stop(self._relay_task)
            self._relay_task = None
        try:
            await self.broker.stop()
        except nats.errors.Error as exc:  # e.g. still reconnecting: nothing left to drain
            log.warning("bus connection closed without draining", error=str(exc))
            with contextlib.suppress(OSError, nats.errors.Error):
                await self.broker.connection.close()
        BUS_CONNECTED.labels(self.service).set(0)

    async def ping(self) -> bool:
        return await self.broker.ping(timeout=1.0)

    async def ensure_streams(self) -> None:
        """Create the event stream and its dead-letter stream, or bring their config up to date."""
        js = self.broker.connection.jetstream()
        name = self.settings.bus_stream
        for config in (
            StreamConfig(
                name=name,
                subjects=[f"{SUBJECT_PREFIX}>"],
                storage=StorageType.FILE,
                num_replicas=self.settings.bus_stream_replicas,
                duplicate_window=self.settings.bus_duplicate_window_seconds,
            ),
            StreamConfig(
                name=dead_letter_stream(name),
                subjects=[f"{DEAD_LETTER_PREFIX}>"],
                storage=StorageType.FILE,
                num_replicas=self.settings.bus_stream_replicas,
            ),
        ):
            try:
                await js.add_stream(config)
            except nats.js.errors.BadRequestError:
                await js.update_stream(config)

    async def publish(self, event_id: str, event_type: str, envelope: bytes) -> None:
        """Publish one envelope and wait for JetStream to store it (or say it is a duplicate)."""
        await self.broker.publish(
            envelope,
            subject_for(event_type),
            headers={"Nats-Msg-Id": event_id},
            stream=self.settings.bus_stream,
            timeout=PUBLISH_TIMEOUT_SECONDS,
        )

    def _subscribe(self, event_type: str, handler: Handler) -> None:
        name = consumer_name(self.service, event_type)
        max_deliver = self.settings.bus_max_deliver

        async def on_message(message: NatsMessage) -> None:
            raw = message.raw_message
            attempt = raw.metadata.num_delivered or 1
            try:
                event = Event.model_validate_json(raw.data)
            except ValidationError as exc:
                await self._dead_letter(name, event_type, raw.data, f"malformed envelope: {exc}")
                await message.reject()
                return
            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(
                event_id=event.id, event_type=event.type, consumer=name, request_id=event.requestid
            )
            if attempt > max_deliver:
                await self._dead_letter(name, event_type, raw.data, "delivery limit reached")
                await message.reject()
                return
            try:
                handled = await self._handle_once(name, handler, event)
            except Exception as exc:
                await self._on_failure(message, name, event_type, raw.data, attempt, exc)
                return
            EVENTS_HANDLED.labels(self.service, name, "handled" if handled else "duplicate").inc()
            await message.ack()

        self.broker.subscriber(
            subject_for(event_type),
            stream=self._stream,
            durable=name,
            # One at a time: FastStream runs a fetched batch concurrently, which would reorder.
            pull_sub=PullSub(batch_size=1, timeout=1.0),
            config=ConsumerConfig(
                durable_name=name,
                max_deliver=max_deliver
                + 1,  # one spare so a crash on the last try still dead-letters
                ack_wait=self.settings.bus_ack_wait_seconds,
            ),
            ack_policy=AckPolicy.MANUAL,
            title=name,
        )(on_message)

    async def _handle_once(self, consumer: str, handler: Handler, event: Event) -> bool:
        """Run the handler and record the event in the inbox, in one transaction."""
        async with self.database.sessionmaker() as session:
            session.info.update(self.session_info)
            async with session.begin():
                first_time = await insert_or_ignore(
                    session,
                    InboxRow,
                    {
                        "consumer": consumer,
                        "event_id": event.id,
                        "event_type": event.type,
                        "handled_at": datetime.now(UTC),
                    },
                )
                if not first_time:
                    log.info("event already handled")
                    return False
                await handler(session, event)
        return True

    async def _on_failure(
        self,
        message: Any,
        consumer: str,
        event_type: str,
        data: bytes,
        attempt: int,
        exc: Exception,
    ) -> None:
        if attempt >= self.settings.bus_max_deliver:
            log.error("event handler failed for the last time", attempt=attempt, exc_info=exc)
            await self._dead_letter(consumer, event_type, data, f"{type(exc).__name__}: {exc}")
            await message.reject()
            return
        delay = min(
            self.settings.bus_nak_max_delay_seconds,
            self.settings.bus_nak_base_delay_seconds * 2 ** (attempt - 1),
        )
        log.warning(
            "event handler failed; will retry", attempt=attempt, retry_in_s=delay, exc_info=exc
        )
        EVENTS_HANDLED.labels(self.service, consumer, "retried").inc()
        await message.nack(delay=delay)

    async def _dead_letter(self, consumer: str, event_type: str, data: bytes, reason: str) -> None:
        EVENTS_DEAD_LETTERED.labels(self.service, consumer).inc()
        try:
            event_id = Event.model_validate_json(data).id
        except ValidationError:
            event_id = None
        headers = {"Cw-Consumer": consumer, "Cw-Reason": reason[:512]}
        if event_id:
            headers["Nats-Msg-Id"] = f"{consumer}:{event_id}"
        await self.broker.publish(
            data,
            f"{DEAD_LETTER_PREFIX}{consumer}.{event_type}",
            headers=headers,
            stream=dead_letter_stream(self.settings.bus_stream),
            timeout=PUBLISH_TIMEOUT_SECONDS,
        )
