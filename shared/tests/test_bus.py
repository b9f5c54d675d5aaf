"""The outbox, the relay, the bus and the inbox against a real nats-server and database."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import nats
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.db import Database
from cw_shared.events import Event, new_event, record_event
from cw_shared.events.bus import Bus
from cw_shared.events.outbox import OutboxRelay
from cw_shared.local import NatsServer
from cw_shared.settings import ServiceSettings
from cw_shared.tables import OutboxRow
from cw_shared.testing import eventually

from .conftest import Effect


class Crashed(Exception):
    pass


async def write_events(
    database: Database, count: int, event_type: str = "thing.happened"
) -> list[str]:
    ids = []
    async with database.sessionmaker() as session, session.begin():
        for n in range(count):
            event = new_event(event_type, {"n": n}, source="producer")
            await record_event(session, event)
            ids.append(event.id)
    return ids


async def effects(database: Database) -> list[str]:
    async with database.sessionmaker() as session:
        return list((await session.scalars(select(Effect.event_id).order_by(Effect.id))).all())


def effect_handler(attempts: Counter[str], *, fail_first: int = 0, fail_always: bool = False):  # type: ignore[no-untyped-def]
    async def handle(session: AsyncSession, event: Event) -> None:
        attempts[event.id] += 1
        session.add(Effect(event_id=event.id, consumer="consumer"))
        await session.flush()
        if fail_always or attempts[event.id] <= fail_first:
            raise RuntimeError("the consumer's database hiccupped")

    return handle


async def test_a_consumer_that_fails_twice_has_its_effect_exactly_once(
    database: Database, producer_settings: ServiceSettings, consumer_settings: ServiceSettings
) -> None:
    attempts: Counter[str] = Counter()
    producer, consumer = Bus(producer_settings, database), Bus(consumer_settings, database)
    consumer.consumer("thing.happened")(effect_handler(attempts, fail_first=2))
    await producer.start()
    await consumer.start(relay=False)
    try:
        [event_id] = await write_events(database, 1)
        producer.relay.wake()
        await eventually(lambda: _has(database, 1))
        await asyncio.sleep(0.5)  # room for a wrong second delivery to show up
        assert await effects(database) == [event_id]
        assert attempts[event_id] == 3
    finally:
        await consumer.stop()
        await producer.stop()


async def test_a_relay_that_dies_after_publishing_does_not_cause_a_second_effect(
    database: Database, producer_settings: ServiceSettings, consumer_settings: ServiceSettings
) -> None:
    attempts: Counter[str] = Counter()
    producer, consumer = Bus(producer_settings, database), Bus(consumer_settings, database)
    consumer.consumer("thing.happened")(effect_handler(attempts))
    await producer.start(relay=False)
    await consumer.start(relay=False)
    try:
        event_ids = await write_events(database, 3)

        class DyingRelay(OutboxRelay):
            async def _mark_published(self, seqs: list[int]) -> None:
                raise Crashed("killed between publish and mark")

        dying = DyingRelay(database=database, publish=producer.publish, service="producer")
        with pytest.raises(Crashed):
            await dying.relay_batch()
        assert await producer.relay.pending_count() == 3  # nothing marked: all will go again

        assert await producer.relay.relay_batch() == 3
        await eventually(lambda: _has(database, 3))
        await asyncio.sleep(0.5)
        assert await effects(database) == event_ids
        assert await producer.relay.pending_count() == 0
    finally:
        await consumer.stop()
        await producer.stop()


async def test_a_redelivered_event_is_handled_once(
    database: Database, nats_server: NatsServer, consumer_settings: ServiceSettings
) -> None:
    """The same event published twice past JetStream's de-duplication: the inbox stops it."""
    attempts: Counter[str] = Counter()
    consumer = Bus(consumer_settings, database)
    consumer.consumer("thing.happened")(effect_handler(attempts))
    await consumer.start(relay=False)
    try:
        event = new_event("thing.happened", {"n": 1}, source="producer")
        client = await nats.connect(nats_server.url)
        js = client.jetstream()
        for copy in ("first", "second"):
            await js.publish(
                "cw.thing.happened",
                event.model_dump_json().encode(),
                headers={"Nats-Msg-Id": f"{event.id}-{copy}"},
            )
        await client.close()
        await eventually(lambda: _has(database, 1))
        await eventually(lambda: _handled_count(consumer, 2))
        assert await effects(database) == [event.id]
        assert attempts[event.id] == 1
    finally:
        await consumer.stop()


async def test_events_arrive_in_the_order_they_were_committed(
    database: Database, producer_settings: ServiceSettings, consumer_settings: ServiceSettings
) -> None:
    attempts: Counter[str] = Counter()
    producer, consumer = Bus(producer_settings, database), Bus(consumer_settings, database)
    consumer.consumer("thing.happened")(effect_handler(attempts))
    await producer.start()
    await consumer.start(relay=False)
    try:
        written: list[str] = []
        for _ in range(10):
            written += await write_events(database, 25)
        await eventually(lambda: _has(database, len(written)), timeout=20)
        assert await effects(database) == written
    finally:
        await consumer.stop()
        await producer.stop()


async def test_a_message_that_always_fails_goes_to_the_dead_letter_subject(
    database: Database,
    nats_server: NatsServer,
    producer_settings: ServiceSettings,
    consumer_settings: ServiceSettings,
) -> None:
    attempts: Counter[str] = Counter()
    producer, consumer = Bus(producer_settings, database), Bus(consumer_settings, database)
    consumer.consumer("thing.happened")(effect_handler(attempts, fail_always=True))
    await producer.start()
    await consumer.start(relay=False)
    client = await nats.connect(nats_server.url)
    try:
        [event_id] = await write_events(database, 1)
        js = client.jetstream()
        dead = await js.pull_subscribe("dlq.>", durable="test-dlq", stream="CW_DLQ")

        async def dead_letters() -> list[nats.aio.msg.Msg]:
            try:
                return await dead.fetch(1, timeout=0.5)
            except nats.errors.TimeoutError:
                return []

        [letter] = await eventually(dead_letters, timeout=15)
        assert letter.subject == "dlq.consumer__thing_happened.thing.happened"
        assert json.loads(letter.data)["id"] == event_id
        assert "hiccupped" in letter.headers["Cw-Reason"]
        assert attempts[event_id] == consumer_settings.bus_max_deliver
        assert await effects(database) == []  # every failed attempt rolled back
    finally:
        await client.close()
        await consumer.stop()
        await producer.stop()


async def test_the_relay_keeps_events_while_the_bus_is_down_and_sends_them_after(
    database: Database,
    nats_server: NatsServer,
    producer_settings: ServiceSettings,
    consumer_settings: ServiceSettings,
) -> None:
    attempts: Counter[str] = Counter()
    producer, consumer = Bus(producer_settings, database), Bus(consumer_settings, database)
    consumer.consumer("thing.happened")(effect_handler(attempts))
    await producer.start()
    await consumer.start(relay=False)
    try:
        nats_server.stop()
        event_ids = await write_events(database, 5)
        await asyncio.sleep(1.0)  # the relay tries, fails, backs off
        assert await producer.relay.pending_count() == 5
        nats_server.start()
        await eventually(lambda: _has(database, 5), timeout=30)
        assert await effects(database) == event_ids
    finally:
        await consumer.stop()
        await producer.stop()


async def test_events_written_in_a_rolled_back_transaction_are_never_published(
    database: Database,
) -> None:
    async with database.sessionmaker() as session, session.begin():
        await record_event(session, new_event("thing.happened", {}, source="producer"))
        await session.rollback()
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxRow)) == 0


async def _has(database: Database, count: int) -> bool:
    return len(await effects(database)) >= count


async def _handled_count(bus: Bus, count: int) -> bool:
    from cw_shared.metrics import EVENTS_HANDLED

    total = sum(
        EVENTS_HANDLED.labels(bus.service, "consumer__thing_happened", outcome)._value.get()
        for outcome in ("handled", "duplicate")
    )
    return total >= count
