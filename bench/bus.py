"""Publish-to-handled latency and throughput of domain events on the bus.

Each event is written with ``record_event`` in its own transaction (as one request would) into
the producer's outbox, published by the outbox relay to a real nats-server (JetStream, file
storage), fetched by the consumer's durable pull consumer and handled inside its inbox
transaction. Writes start on an absolute schedule (open loop), so a slow write does not slow
the offered load. Producer and consumer have databases of their own, as two services would,
but share this process, its event loop and its GIL.

The report: ``write txn`` is begin → commit returned on the producer; ``relay lag`` is the
relay's ``cw_outbox_lag_seconds`` (event created → JetStream ack); ``latency`` is just before
the producer's transaction begins → the consumer's handler runs, after its inbox insert (the
inbox commit is not included).

Run from the repo root (goal: p99 under 50 ms at 500 events/s)::

    .venv/bin/python bench/bus.py [--rate 500] [--seconds 10] [--burst N] [--postgres URL]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/queue.py would hide
# the standard library's queue module: move it last.
sys.path.sort(key=lambda entry: Path(entry or ".").resolve() == Path(__file__).parent.resolve())

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import ClassVar

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from cw_shared.db import Base as KernelBase
from cw_shared.db import Database
from cw_shared.events import Event, new_event, record_event
from cw_shared.events.bus import Bus
from cw_shared.local import NatsServer, free_port, nats_server_binary
from cw_shared.log import configure_logging
from cw_shared.metrics import OUTBOX_LAG
from cw_shared.settings import ServiceSettings

GOAL_P99_MS, GOAL_RATE = 50.0, 500


class ProducerSettings(ServiceSettings):
    service_name: ClassVar[str] = "bench-producer"


class ConsumerSettings(ServiceSettings):
    service_name: ClassVar[str] = "bench-consumer"


@dataclass
class Results:
    written: int = 0
    failed: int = 0
    write_seconds: float = 0.0
    write_ms: list[float] = field(default_factory=list)  # begin → commit returned
    late_ms: list[float] = field(default_factory=list)  # writer behind its schedule
    latency_ms: list[float] = field(default_factory=list)  # begin → handled
    started: float = 0.0
    last_handled: float = 0.0
    progress: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def write_rate(self) -> float:
        return self.written / self.write_seconds if self.write_seconds else 0.0

    @property
    def handle_rate(self) -> float:
        span = self.last_handled - self.started
        return len(self.latency_ms) / span if span > 0 else 0.0

    async def handle(self, _session: AsyncSession, event: Event) -> None:
        self.latency_ms.append((time.time_ns() - event.data["sent_at"]) / 1e6)
        self.last_handled = time.perf_counter()
        self.progress.set()

    async def all_handled(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while len(self.latency_ms) < self.written:
                    self.progress.clear()
                    await self.progress.wait()


def pg_url(server: str, driver: str, database: str | None = None) -> str:
    url = make_url(server).set(drivername=driver)
    return (url.set(database=database) if database else url).render_as_string(hide_password=False)


async def pg_admin(server: str, statement: str) -> None:
    connection = await asyncpg.connect(pg_url(server, "postgresql"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def database(postgres: str | None, sqlite_path: Path) -> AsyncIterator[Database]:
    """A fresh database with the kernel tables: a SQLite file, or a new PostgreSQL database."""
    url, name = f"sqlite+aiosqlite:///{sqlite_path}", f"bench_{uuid.uuid4().hex[:12]}"
    if postgres:
        await pg_admin(postgres, f'CREATE DATABASE "{name}"')
        url = pg_url(postgres, "postgresql+asyncpg", name)
    db = Database(url)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(KernelBase.metadata.create_all)
        yield db
    finally:
        await db.dispose()
        if postgres:
            await pg_admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_bus(settings: type[ServiceSettings], db: Database, nats_url: str) -> Bus:
    return Bus(settings(database_url=db.url, nats_url=nats_url), db)


async def write_one(db: Database, bus: Bus, results: Results) -> None:
    sent_at = time.time_ns()
    try:
        async with db.sessionmaker() as session:
            session.info.update(bus.session_info)  # the commit wakes the relay
            async with session.begin():
                event = new_event("bench.tick", {"sent_at": sent_at}, source="bench")
                await record_event(session, event)
    except Exception:  # e.g. no pooled connection within 30 s under overload
        results.failed += 1
        return
    results.write_ms.append((time.time_ns() - sent_at) / 1e6)
    results.written += 1


async def generate(db: Database, bus: Bus, args: argparse.Namespace, results: Results) -> None:
    """Open loop: a write starts on schedule whether or not the previous one has finished."""
    count = args.burst or round(args.rate * args.seconds)
    tasks: set[asyncio.Task[None]] = set()
    results.started = start = time.perf_counter()
    for n in range(count):
        if args.burst:
            await write_one(db, bus, results)  # back to back, as fast as one writer can
            continue
        due = start + n / args.rate
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        results.late_ms.append(max(0.0, time.perf_counter() - due) * 1e3)
        task = asyncio.create_task(write_one(db, bus, results))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    results.write_seconds = time.perf_counter() - start


async def measure(args: argparse.Namespace, nats_url: str, tmp: Path) -> Results:
    """Consumer first (its durable consumer exists before the first publish), then producer."""
    results = Results()
    async with (
        database(args.postgres, tmp / "producer.db") as producer_db,
        database(args.postgres, tmp / "consumer.db") as consumer_db,
    ):
        producer = new_bus(ProducerSettings, producer_db, nats_url)
        consumer = new_bus(ConsumerSettings, consumer_db, nats_url)
        consumer.consumer("bench.tick")(results.handle)
        await consumer.start(relay=False)  # it publishes nothing
        await producer.start()
        try:
            await generate(producer_db, producer, args, results)
            await results.all_handled(args.timeout)
        finally:
            await producer.stop()
            await consumer.stop()
    return results


def pct(values: list[float], *points: int) -> str:
    if len(values) < 2:
        return "n/a"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    shown = [f"p{p} {cuts[p - 1]:.1f}" for p in points]
    return ", ".join(shown) + f", max {max(values):.1f} ms"


def relay_lag(service: str) -> str:
    """cw_outbox_lag_seconds: event created (before its transaction) → JetStream ack."""
    samples = [s for m in OUTBOX_LAG.collect() for s in m.samples if s.labels["service"] == service]
    count = next((s.value for s in samples if s.name.endswith("_count")), 0.0)
    if not count:
        return "n/a"
    total = next(s.value for s in samples if s.name.endswith("_sum"))
    buckets = [s for s in samples if s.name.endswith("_bucket") and s.labels["le"] != "+Inf"]
    shares = ", ".join(
        f"≤{float(s.labels['le']) * 1e3:g}ms {s.value / count:.1%}" for s in buckets[1:7]
    )
    return f"mean {total / count * 1e3:.1f} ms; {shares}"


def verdict(args: argparse.Namespace, results: Results) -> str:
    handled, p99 = len(results.latency_ms), None
    if handled >= 2:
        p99 = statistics.quantiles(results.latency_ms, n=100, method="inclusive")[98]
    if args.burst or args.rate < GOAL_RATE:
        return f"not tested (asked for less than a steady {GOAL_RATE}/s)"
    misses = []
    if results.write_rate < 0.98 * GOAL_RATE:
        misses.append(f"writes reached only {results.write_rate:.0f}/s")
    if handled < results.written:
        misses.append(f"{results.written - handled} events not handled in time")
    if p99 is None or p99 >= GOAL_P99_MS:
        misses.append(f"p99 {p99 or 0:.1f} ms")
    return f"MISSED ({'; '.join(misses)})" if misses else "met"


def report(args: argparse.Namespace, results: Results) -> str:
    nats = subprocess.run(
        [nats_server_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    handled = len(results.latency_ms)
    asked = f"burst of {args.burst}" if args.burst else f"{args.rate:g}/s for {args.seconds:g} s"
    return "\n".join(
        [
            f"machine     {len(os.sched_getaffinity(0))} CPUs, Python {platform.python_version()},"
            f" {nats or 'nats-server ?'}, {'postgresql' if args.postgres else 'sqlite'}",
            f"load        asked {asked}; written {results.written} at {results.write_rate:.1f}/s"
            f"{f', {results.failed} writes failed' if results.failed else ''}"
            f" (writer behind schedule: {pct(results.late_ms, 50, 99)})",
            f"handled     {handled}/{results.written}, {results.handle_rate:.1f}/s",
            f"write txn   {pct(results.write_ms, 50, 99)}",
            f"relay lag   {relay_lag(ProducerSettings.service_name)}",
            f"latency     {pct(results.latency_ms, 50, 90, 99)}",
            f"goal        p99 < {GOAL_P99_MS:g} ms at {GOAL_RATE}/s: {verdict(args, results)}",
        ]
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        server = NatsServer(port=free_port(), store_dir=Path(tmp) / "nats")
        server.start()
        try:
            results = await measure(args, server.url, Path(tmp))
        finally:
            server.stop()
    print(report(args, results))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500, help="events per second")
    parser.add_argument("--seconds", type=float, default=10, help="how long to write")
    parser.add_argument("--burst", type=int, default=0, help="write N events back to back")
    parser.add_argument("--timeout", type=float, default=30, help="wait this long for the rest")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server instead of SQLite")
    return parser.parse_args()


if __name__ == "__main__":
    configure_logging(service="bench", level="WARNING")
    asyncio.run(main(parse_args()))
