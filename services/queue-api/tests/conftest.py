from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI

from cw_shared.local import NatsServer, free_port
from cw_shared.migrations import upgrade
from cw_shared.testing import migrated_and_running
from queue_api.config import QueueSettings
from queue_api.main import create_app

from .clock import SimulatedClock
from .seed import T0

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(database_url: str, nats_server: NatsServer, tmp_path: Path) -> QueueSettings:
    return QueueSettings(
        database_url=database_url, nats_url=nats_server.url, var_dir=tmp_path, env="test"
    )


@pytest_asyncio.fixture
async def client(settings: QueueSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with migrated_and_running(SERVICE_DIR, create_app, settings) as client:
        yield client


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


@pytest_asyncio.fixture
async def app_client(
    settings: QueueSettings, clock: SimulatedClock
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose clock the test moves; the catalogue is seeded per test."""

    def make(s: QueueSettings) -> FastAPI:
        app = create_app(s)
        app.state.clock = clock
        return app

    async with migrated_and_running(SERVICE_DIR, make, settings) as client:
        yield client


@pytest_asyncio.fixture
async def live(settings: QueueSettings, clock: SimulatedClock) -> AsyncIterator[str]:
    """The app behind a real HTTP server in this event loop (streams need one)."""
    await asyncio.to_thread(upgrade, SERVICE_DIR, settings.database_url)
    app = create_app(settings)
    app.state.clock = clock
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
