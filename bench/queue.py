"""Queue-api under load: taking numbers against a no-op endpoint, and the board's SSE fan-out.

One uvicorn worker process of queue-api (uvloop, httptools) runs against a fresh database (a
SQLite file, or a throwaway PostgreSQL database) and a real nats-server. This process is the
client: raw HTTP/1.1 over asyncio streams with keep-alive, much cheaper than an HTTP library,
so that the client is not what is measured. Client, server, nats-server and PostgreSQL share
the machine's CPUs.

1. issue: C clients in a closed loop (one connection each) POST /v1/tickets as citizens of a
   pre-minted token pool, each with a fresh Idempotency-Key. After a warm-up, the replies
   received in --seconds give the rate; latency is request sent → whole reply read. Every
   ticket stays waiting, so the queue grows during the run (--counters open counters keep
   the expected wait short enough for nobody to be refused as too late today; refusals and
   other non-201 replies are counted and shown).
2. me: the same load on GET /v1/me (authentication and routing, no database): the ceiling the
   issue rate is compared with.
3. fan-out: N board streams (GET /v1/centres/dinghai/board/stream, clerk token) are opened and
   have read their initial "board" event; clerk-1 calls the next ticket to counter w1 and each
   stream's latency is the call sent → its "ticket.called" event read; --calls times. Memory
   per stream is the growth of the server's VmRSS while the streams were opened, over N.

CPU per reply (per event read) is the user + system time of the server process (all threads)
and of this one over the measured window, divided by the replies (events) in it: less swayed
than rates and latencies by other work on the machine, whose load average is shown.

Goals: issue rate ≥ 30% of the /v1/me rate, issue p99 < 100 ms, fan-out p99 < 1 s.

Run from the repo root (``--postgres`` adds a run on a throwaway database of that server)::

    .venv/bin/python bench/queue.py [--seconds 10] [--subscribers 2000] [--postgres URL]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where its name would hide the
# standard library's queue module (concurrent.futures and aiosqlite import it): move it last.
sys.path.sort(key=lambda entry: Path(entry or ".").resolve() == Path(__file__).parent.resolve())

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter as Tally
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import cycle
from typing import Any

import asyncpg
import uvloop
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cw_shared.auth import LocalIssuer, Role
from cw_shared.db import Database
from cw_shared.local import NatsServer, free_port, wait_for_port
from cw_shared.migrations import upgrade
from queue_api.centres.models import ServiceCentre
from queue_api.config import QueueSettings
from queue_api.counters.models import Counter
from queue_api.items.models import ServiceItem
from queue_api.tickets.models import State, Ticket

SERVICE_DIR = Path(__file__).resolve().parents[1] / "services" / "queue-api"
GOAL_RATIO, GOAL_ISSUE_P99_MS, GOAL_FANOUT_P99_MS = 0.30, 100.0, 1000.0
CENTRE, ITEM, COUNTER, CLERK = "dinghai", "HJ", "w1", "clerk-1"
ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ITEMS = (  # code, name, number prefix, priority, may be applied for remotely
    ("HJ", "户籍", "A", False, True),
    ("QY", "企业", "P", True, True),
    ("ZJ", "证件", "B", False, False),
)
CITIZENS = 1000
OPENING = 100  # streams being opened at once (each open reads the database)
TICKET_BODY = json.dumps({"centre_id": CENTRE, "item_code": ITEM}).encode()


# ---------------------------------------------------------------- a minimal HTTP/1.1 client


def http_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive connection: a request, then its reply, then the next request."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, raw: bytes) -> tuple[int, dict[str, str]]:
        """Write a request and read the reply's status and headers."""
        self.writer.write(raw)
        if not (status_line := await self.reader.readline()):
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        status, headers = await self.send(raw)
        if "content-length" in headers:
            return status, await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding") == "chunked":
            return status, b"".join([chunk async for chunk in self.chunks()])
        return status, b""

    async def chunks(self) -> AsyncIterator[bytes]:
        """The chunks of a chunked body, until its last (empty) chunk."""
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            chunk = await self.reader.readexactly(size)
            await self.reader.readline()
            yield chunk
        await self.reader.readline()

    def close(self) -> None:
        self.writer.close()


# ---------------------------------------------------------------- closed-loop load


@dataclass
class Load:
    statuses: Tally[int] = field(default_factory=Tally)
    latency_ms: list[float] = field(default_factory=list)
    done_at: list[float] = field(default_factory=list)  # seconds since the measurement began
    seconds: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the server used while measured (all its threads)
    client_cpu: float = 0.0  # and this process

    def cpu_ms(self, cpu: float) -> float:
        replies = sum(self.statuses.values())
        return cpu / replies * 1e3 if replies else 0.0

    def rate(self, status: int) -> float:
        return self.statuses[status] / self.seconds if self.seconds else 0.0

    def per_second(self) -> list[int]:
        return [sum(1 for t in self.done_at if s <= t < s + 1) for s in range(int(self.seconds))]


async def closed_loop(
    server: Server, clients: int, warmup: float, seconds: float, make: Callable[[], bytes]
) -> Load:
    """``clients`` connections, each sending its next request as soon as a reply is read;
    the replies read between the end of the warm-up and ``seconds`` later are measured."""
    load, connections = Load(seconds=seconds), await open_connections(server.port, clients)
    begin = time.perf_counter() + warmup
    end = begin + seconds

    async def client(connection: Connection) -> None:
        while (sent := time.perf_counter()) < end:
            status, _ = await connection.exchange(make())
            if begin <= (done := time.perf_counter()) < end:
                load.statuses[status] += 1
                load.latency_ms.append((done - sent) * 1e3)
                load.done_at.append(done - begin)

    async def measure_cpu() -> None:
        await asyncio.sleep(warmup)
        server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
        await asyncio.sleep(seconds)
        load.server_cpu = server.cpu_seconds() - server_cpu
        load.client_cpu = time.process_time() - client_cpu

    try:
        await asyncio.gather(measure_cpu(), *(client(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    return load


async def open_connections(port: int, count: int) -> list[Connection]:
    return list(await asyncio.gather(*(Connection.open(port) for _ in range(count))))


# ---------------------------------------------------------------- board streams


class SseParser:
    """Server-Sent Events from the stream's bytes: (event name, data) per event."""

    def __init__(self) -> None:
        self.buffer = b""
        self.name, self.data = "message", b""

    def feed(self, chunk: bytes) -> Iterator[tuple[str, bytes]]:
        *lines, self.buffer = (self.buffer + chunk).split(b"\n")
        for line in (raw.rstrip(b"\r") for raw in lines):
            if not line:
                if self.data:
                    yield self.name, self.data
                self.name, self.data = "message", b""
            elif line.startswith(b"event:"):
                self.name = line[6:].strip().decode()
            elif line.startswith(b"data:"):
                self.data = line[5:].strip()


@dataclass
class Streams:
    """Open board streams, and when each read what."""

    connections: list[Connection] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    refused: Tally[int] = field(default_factory=Tally)
    boards: int = 0
    ended: int = 0  # streams the server closed
    called: dict[str, list[float]] = field(default_factory=dict)  # ticket id → arrivals
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def live(self) -> int:
        return len(self.connections) - self.ended

    def saw(self, name: str, data: bytes) -> None:
        if name == "board":
            self.boards += 1
        elif name == "ticket.called":
            ticket_id = json.loads(data)["ticket_id"]
            self.called.setdefault(ticket_id, []).append(time.perf_counter())
        self.changed.set()

    async def until(self, done: Callable[[], bool], timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while not done():
                    self.changed.clear()
                    await self.changed.wait()

    async def follow(self, connection: Connection) -> None:
        parser = SseParser()
        try:
            async for chunk in connection.chunks():
                for name, data in parser.feed(chunk):
                    self.saw(name, data)
        except (ConnectionError, ValueError, asyncio.IncompleteReadError):
            pass
        self.ended += 1
        self.changed.set()

    async def open(self, port: int, raw: bytes, gate: asyncio.Semaphore) -> None:
        async with gate:
            connection = await Connection.open(port)
            status, _ = await connection.send(raw)
        if status != 200:
            self.refused[status] += 1
            connection.close()
            return
        self.connections.append(connection)
        self.tasks.append(asyncio.create_task(self.follow(connection)))

    async def close(self) -> None:
        for connection in self.connections:
            connection.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@dataclass
class FanOut:
    opened: int = 0
    refused: Tally[int] = field(default_factory=Tally)
    boards: int = 0
    ended: int = 0
    calls: int = 0
    latency_ms: list[float] = field(default_factory=list)
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    server_cpu: float = 0.0  # CPU seconds from each call sent to its last event read
    client_cpu: float = 0.0

    @property
    def expected(self) -> int:
        return self.calls * self.opened

    def cpu_us(self, cpu: float) -> float:
        return cpu / len(self.latency_ms) * 1e6 if self.latency_ms else 0.0


async def call_next(
    server: Server, headers: dict[str, str], streams: Streams, result: FanOut
) -> None:
    """One call to counter w1, and each open stream's call sent → its "ticket.called" read."""
    connection = await Connection.open(server.port)
    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    try:
        path = f"/v1/counters/{COUNTER}/call-next"
        sent = time.perf_counter()
        status, body = await connection.exchange(http_request("POST", path, headers))
    finally:
        connection.close()
    if status != 200:
        raise RuntimeError(f"call-next answered {status}: {body[:300]!r}")
    arrivals = streams.called.setdefault(json.loads(body)["id"], [])
    await streams.until(lambda: len(arrivals) >= streams.live, timeout=10)
    result.server_cpu += server.cpu_seconds() - server_cpu
    result.client_cpu += time.process_time() - client_cpu
    result.latency_ms += [(at - sent) * 1e3 for at in arrivals]
    result.calls += 1


async def take_tickets(port: int, make: Callable[[], bytes], count: int) -> None:
    """Someone waiting for each call (the issue load may have left the queue empty)."""
    connection = await Connection.open(port)
    try:
        for _ in range(count):
            status, body = await connection.exchange(make())
            if status != 201:
                raise RuntimeError(f"taking a ticket answered {status}: {body[:300]!r}")
    finally:
        connection.close()


async def fan_out(server: Server, tokens: Tokens, args: argparse.Namespace) -> FanOut:
    port = server.port
    await take_tickets(port, tokens.issue_requests(), args.calls)
    result, streams = FanOut(rss_before_kib=server.rss_kib()), Streams()
    raw = http_request(
        "GET",
        f"/v1/centres/{CENTRE}/board/stream",
        tokens.clerk | {"Accept": "text/event-stream"},
    )
    gate = asyncio.Semaphore(OPENING)
    try:
        await asyncio.gather(*(streams.open(port, raw, gate) for _ in range(args.subscribers)))
        result.opened, result.refused = len(streams.connections), streams.refused
        await streams.until(lambda: streams.boards + streams.ended >= result.opened, timeout=60)
        await asyncio.sleep(1)  # let the server settle before reading its memory
        result.rss_after_kib, result.boards = server.rss_kib(), streams.boards
        for _ in range(args.calls):
            await call_next(server, tokens.clerk, streams, result)
            await asyncio.sleep(0.5)
        result.ended = streams.ended
    finally:
        await streams.close()
    return result


# ---------------------------------------------------------------- the system under test


@dataclass
class Tokens:
    """Bearer headers minted before the server starts (the server verifies with the same key)."""

    citizens: list[dict[str, str]]
    clerk: dict[str, str]

    @classmethod
    def mint(cls, settings: QueueSettings) -> Tokens:
        issuer = LocalIssuer(
            settings.keys_dir, issuer=settings.auth_issuer, audience=settings.auth_audience
        )

        def bearer(role: Role, sub: str, centre: str | None = None) -> dict[str, str]:
            token = issuer.mint(role=role, sub=sub, centre=centre, ttl_seconds=3600)
            return {"Authorization": f"Bearer {token}"}

        citizens = [bearer(Role.CITIZEN, f"citizen-{n:04d}") for n in range(CITIZENS)]
        return cls(citizens, bearer(Role.CLERK, CLERK, CENTRE))

    def issue_requests(self) -> Callable[[], bytes]:
        pool = cycle(self.citizens)

        def make() -> bytes:
            headers = next(pool) | {
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            return http_request("POST", "/v1/tickets", headers, TICKET_BODY)

        return make

    def me_requests(self) -> Callable[[], bytes]:
        pool = cycle(self.citizens)
        return lambda: http_request("GET", "/v1/me", next(pool))


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])

    def cpu_seconds(self) -> float:
        """User and system time of the server process, all its threads."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"queue-api exited with {self.process.returncode}:\n{tail}")


@contextlib.contextmanager
def queue_api(database_url: str, nats_url: str, tmp: Path) -> Iterator[Server]:
    port, log = free_port(), tmp / "queue-api.log"
    env = dict(
        os.environ,
        CW_QUEUE_DATABASE_URL=database_url,
        CW_NATS_URL=nats_url,
        CW_VAR_DIR=str(tmp),
        CW_LOG_LEVEL="WARNING",
    )
    command = [
        *(sys.executable, "-m", "uvicorn", "queue_api.main:create_app", "--factory"),
        *("--port", str(port), "--no-access-log", "--loop", "uvloop", "--http", "httptools"),
    ]
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        server = Server(process, port, log)
        try:
            wait_for_port(port, timeout=60)
            yield server
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextlib.contextmanager
def nats(tmp: Path) -> Iterator[str]:
    server = NatsServer(port=free_port(), store_dir=tmp / "nats")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def pg_url(server: str, driver: str, database: str | None = None) -> str:
    url = make_url(server).set(drivername=driver)
    return (url.set(database=database) if database else url).render_as_string(hide_password=False)


async def pg_admin(server: str, statement: str) -> None:
    connection = await asyncpg.connect(pg_url(server, "postgresql"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def database(postgres: str | None, tmp: Path, counters: int) -> AsyncIterator[str]:
    """A fresh, migrated and seeded database: a SQLite file, or a new PostgreSQL database."""
    url, name = f"sqlite+aiosqlite:///{tmp / 'queue.db'}", f"bench_{uuid.uuid4().hex[:12]}"
    if postgres:
        await pg_admin(postgres, f'CREATE DATABASE "{name}"')
        url = pg_url(postgres, "postgresql+asyncpg", name)
    try:
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        await seed(url, counters)
        yield url
    finally:
        if postgres:
            await pg_admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def catalogue(now: datetime, counters: int) -> list[list[Any]]:
    """Centre dinghai open all day, items HJ/QY/ZJ, counters w1…wN open for clerk-1…clerk-N:
    rows to insert in this order."""
    centre = ServiceCentre(
        id=CENTRE,
        name="定海",
        timezone="Asia/Shanghai",
        opening_hours=ALL_DAY,
        max_wait_minutes=60,
        target_wait_minutes=20,
        no_show_after_recalls=2,
        interleave=[],
        created_at=now,
    )
    items = [
        ServiceItem(
            code=code,
            name=name,
            prefix=prefix,
            priority=priority,
            expected_service_minutes=10,
            remote_allowed=remote,
            created_at=now,
        )
        for code, name, prefix, priority, remote in ITEMS
    ]
    open_counters = [
        Counter(
            id=f"w{n}",
            centre_id=CENTRE,
            name=f"{n}号窗口",
            item_codes=[code for code, *_ in ITEMS],
            is_open=True,
            clerk_sub=f"clerk-{n}",
            opened_at=now,
            call_cursor=0,
            created_at=now,
        )
        for n in range(1, counters + 1)
    ]
    return [[centre], items, open_counters]


async def seed(url: str, counters: int) -> None:
    db = Database(url)
    try:
        async with db.sessionmaker() as session, session.begin():
            for rows in catalogue(datetime.now(UTC), counters):
                session.add_all(rows)
                await session.flush()
    finally:
        await db.dispose()


async def waiting_tickets(url: str) -> int:
    db = Database(url)
    try:
        async with db.sessionmaker() as session:
            query = select(func.count()).select_from(Ticket).where(Ticket.state == State.WAITING)
            return int(await session.scalar(query) or 0)
    finally:
        await db.dispose()


# ---------------------------------------------------------------- one run, and its report


@dataclass
class Figures:
    backend: str
    issue: Load
    me: Load
    waiting: int
    fanout: FanOut
    load_average: float  # of the machine, before the run: other work skews the figures


async def run(args: argparse.Namespace, postgres: str | None) -> Figures:
    load_average = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cw-bench-queue-") as tmp_name:
        tmp = Path(tmp_name)
        async with database(postgres, tmp, args.counters) as url:
            tokens = Tokens.mint(QueueSettings(var_dir=tmp, database_url=url))
            with nats(tmp) as nats_url, queue_api(url, nats_url, tmp) as server:
                loop_args = (server, args.clients, args.warmup, args.seconds)
                issue = await closed_loop(*loop_args, tokens.issue_requests())
                server.check_alive()
                me = await closed_loop(*loop_args, tokens.me_requests())
                fanout = await fan_out(server, tokens, args)
                server.check_alive()
            waiting = await waiting_tickets(url)
    backend = "postgresql" if postgres else "sqlite"
    return Figures(backend, issue, me, waiting, fanout, load_average)


def pct(values: list[float], *points: int) -> str:
    if len(values) < 2:
        return "n/a"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    shown = [f"p{p} {cuts[p - 1]:.1f}" for p in points]
    return ", ".join(shown) + f", max {max(values):.1f} ms"


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return float("inf")
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def others(statuses: Tally[int], ok: int) -> str:
    rest = {status: n for status, n in sorted(statuses.items()) if status != ok}
    return ", ".join(f"{n}× {status}" for status, n in rest.items()) or "none"


def goal(met: bool) -> str:
    return "met" if met else "MISSED"


def load_lines(name: str, load: Load, ok: int, args: argparse.Namespace) -> list[str]:
    return [
        f"{name:<10}{args.clients} clients, {load.seconds:.1f} s: {load.statuses[ok]}× {ok},"
        f" {load.rate(ok):.1f}/s, other replies: {others(load.statuses, ok)};"
        f" latency {pct(load.latency_ms, 50, 99)}",
        f"{'':<10}CPU per reply: server {load.cpu_ms(load.server_cpu):.2f} ms"
        f" (busy {load.server_cpu / load.seconds:.0%} of the time),"
        f" client {load.cpu_ms(load.client_cpu):.2f} ms",
    ]


def fan_out_lines(fan: FanOut, args: argparse.Namespace) -> list[str]:
    grown = (fan.rss_after_kib - fan.rss_before_kib) / fan.opened if fan.opened else 0.0
    return [
        f"fan-out   {fan.opened}/{args.subscribers} streams open"
        f" (refused: {others(fan.refused, 200)}), {fan.boards} read the board,"
        f" {fan.ended} ended by the server; {fan.calls} calls:"
        f" {len(fan.latency_ms)}/{fan.expected} ticket.called read;"
        f" latency {pct(fan.latency_ms, 50, 99)}",
        f"{'':<10}CPU per event read: server {fan.cpu_us(fan.server_cpu):.0f} µs,"
        f" client {fan.cpu_us(fan.client_cpu):.0f} µs",
        f"memory    server VmRSS {fan.rss_before_kib / 1024:.1f} →"
        f" {fan.rss_after_kib / 1024:.1f} MiB with the streams: {grown:.1f} KiB per stream",
    ]


def goals_line(figures: Figures) -> str:
    issue, me, fan = figures.issue, figures.me, figures.fanout
    ratio = issue.rate(201) / me.rate(200) if me.rate(200) else 0.0
    issue_p99, fan_p99 = p99(issue.latency_ms), p99(fan.latency_ms)
    fan_met = fan_p99 < GOAL_FANOUT_P99_MS and len(fan.latency_ms) == fan.expected
    return (
        f"goals     issue/me {ratio:.1%} ≥ {GOAL_RATIO:.0%}: {goal(ratio >= GOAL_RATIO)};"
        f" issue p99 {issue_p99:.1f} < {GOAL_ISSUE_P99_MS:g} ms:"
        f" {goal(issue_p99 < GOAL_ISSUE_P99_MS)};"
        f" fan-out p99 {fan_p99:.1f} < {GOAL_FANOUT_P99_MS:g} ms, all read: {goal(fan_met)}"
    )


def report(figures: Figures, args: argparse.Namespace) -> str:
    return "\n".join(
        [
            f"machine   nproc {len(os.sched_getaffinity(0))}, load average"
            f" {figures.load_average:.1f} before the run, Python {platform.python_version()};"
            f" database: {figures.backend}; 1 uvicorn worker (uvloop, httptools)",
            *load_lines("issue", figures.issue, 201, args),
            f"{'':<10}replies per second: {' '.join(map(str, figures.issue.per_second()))};"
            f" {figures.waiting} tickets waiting at the end",
            *load_lines("me", figures.me, 200, args),
            *fan_out_lines(figures.fanout, args),
            goals_line(figures),
        ]
    )


def raise_open_files(needed: int) -> None:
    """Raise this process's soft limit (the server inherits it) as far as the hard one allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


async def main(args: argparse.Namespace) -> None:
    raise_open_files(args.subscribers + args.clients + 1024)
    for postgres in [None, *([args.postgres] if args.postgres else [])]:
        print(report(await run(args, postgres), args), flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="measure each load this long")
    parser.add_argument("--warmup", type=float, default=2, help="load before measuring")
    parser.add_argument("--clients", type=int, default=64, help="concurrent connections")
    parser.add_argument("--counters", type=int, default=500, help="open counters to seed")
    parser.add_argument("--subscribers", type=int, default=2000, help="board streams to open")
    parser.add_argument("--calls", type=int, default=5, help="calls made to the board streams")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    return parser.parse_args()


if __name__ == "__main__":
    uvloop.run(main(parse_args()))
