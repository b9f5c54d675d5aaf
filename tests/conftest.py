"""Cross-service tests: the real services, in process, on one real nats-server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

import esign.main
import face_verify.main
import queue_api.main
import video_session.main
from cw_shared.local import NatsServer
from cw_shared.settings import ServiceSettings
from cw_shared.testing import migrated_and_running
from esign.config import EsignSettings
from face_verify.config import FaceSettings
from queue_api.config import QueueSettings
from video_session.config import VideoSettings

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Service:
    name: str
    settings_cls: type[ServiceSettings]
    create_app: Callable[[Any], FastAPI]

    @property
    def directory(self) -> Path:
        return ROOT / "services" / self.name


SERVICES = {
    s.name: s
    for s in (
        Service("queue-api", QueueSettings, queue_api.main.create_app),
        Service("video-session", VideoSettings, video_session.main.create_app),
        Service("face-verify", FaceSettings, face_verify.main.create_app),
        Service("esign", EsignSettings, esign.main.create_app),
    )
}


def settings_for(
    service: Service, database_url: str, nats_url: str, var_dir: Path
) -> ServiceSettings:
    return service.settings_cls(
        database_url=database_url,
        nats_url=nats_url,
        var_dir=var_dir,
        env="test",
        bus_nak_base_delay_seconds=0.05,
        outbox_poll_seconds=0.2,
    )


@pytest.fixture(params=sorted(SERVICES))
def service(request: pytest.FixtureRequest) -> Service:
    return SERVICES[request.param]


@pytest.fixture
def service_settings(service: Service, nats_server: NatsServer, tmp_path: Path) -> ServiceSettings:
    url = f"sqlite+aiosqlite:///{tmp_path / (service.name + '.db')}"
    return settings_for(service, url, nats_server.url, tmp_path)


@pytest_asyncio.fixture
async def service_client(
    service: Service, service_settings: ServiceSettings
) -> AsyncIterator[httpx.AsyncClient]:
    async with migrated_and_running(service.directory, service.create_app, service_settings) as c:
        yield c
