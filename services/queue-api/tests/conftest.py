from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from cw_shared.migrations import upgrade
from cw_shared.testing import NatsServer, running
from queue_api.config import QueueSettings
from queue_api.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(database_url: str, nats_server: NatsServer, tmp_path: Path) -> QueueSettings:
    return QueueSettings(
        database_url=database_url, nats_url=nats_server.url, var_dir=tmp_path, env="test"
    )


@pytest_asyncio.fixture
async def client(settings: QueueSettings) -> AsyncIterator[httpx.AsyncClient]:
    await asyncio.to_thread(upgrade, SERVICE_DIR, settings.database_url)
    async with running(create_app(settings)) as client:
        yield client
