"""200 tickets taken at once through four server processes sharing one database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cw_shared.local import NatsServer, free_port, wait_for_port
from cw_shared.migrations import upgrade
from cw_shared.testing import bearer
from queue_api.config import QueueSettings

from .seed import midday_zone, seed

SERVICE_DIR = Path(__file__).resolve().parents[1]
PROCESSES = 4
TICKETS = 200


@pytest.fixture
def servers(database_url: str, nats_server: NatsServer, tmp_path: Path) -> Iterator[list[str]]:
    upgrade(SERVICE_DIR, database_url)
    env = dict(
        os.environ,
        CW_QUEUE_DATABASE_URL=database_url,
        CW_NATS_URL=nats_server.url,
        CW_VAR_DIR=str(tmp_path),
        CW_LOG_LEVEL="WARNING",
    )
    ports = [free_port() for _ in range(PROCESSES)]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "queue_api.main:create_app",
                "--factory",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_for_port(port, timeout=60)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


async def test_concurrent_tickets_across_processes_get_distinct_consecutive_numbers(
    servers: list[str], database_url: str, tmp_path: Path
) -> None:
    # Noon in the centre's zone and short waits: nobody is "too late today".
    await seed(database_url, counters=60, timezone=midday_zone())
    settings = QueueSettings(database_url=database_url, var_dir=tmp_path)

    async def take(client: httpx.AsyncClient, n: int) -> httpx.Response:
        headers = bearer(settings, "citizen", sub=f"c{n}") | {"Idempotency-Key": uuid.uuid4().hex}
        return await client.post(
            "/v1/tickets", json={"centre_id": "dinghai", "item_code": "HJ"}, headers=headers
        )

    clients = [httpx.AsyncClient(base_url=url, timeout=60) for url in servers]
    try:
        replies = await asyncio.gather(*(take(clients[n % PROCESSES], n) for n in range(TICKETS)))
    finally:
        for client in clients:
            await client.aclose()
    assert [r.status_code for r in replies] == [201] * TICKETS, replies[0].text
    numbers = sorted(r.json()["number"] for r in replies)
    assert numbers == [f"A{n:03d}" for n in range(1, TICKETS + 1)]
