from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from cw_shared.local import NatsServer
from cw_shared.testing import migrated_and_running
from face_verify.config import FaceSettings
from face_verify.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def settings(database_url: str, nats_server: NatsServer, tmp_path: Path) -> FaceSettings:
    return FaceSettings(
        database_url=database_url, nats_url=nats_server.url, var_dir=tmp_path, env="test"
    )


@pytest_asyncio.fixture
async def client(settings: FaceSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with migrated_and_running(SERVICE_DIR, create_app, settings) as client:
        yield client
