from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import pytest
import pytest_asyncio
from sqlalchemy import Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cw_shared.db import Base as KernelBase
from cw_shared.db import Database, new_metadata
from cw_shared.local import NatsServer
from cw_shared.settings import ServiceSettings


class EffectsBase(DeclarativeBase):
    metadata = new_metadata()


class Effect(EffectsBase):
    """A consumer's side effect with no unique key of its own: only the inbox stops doubles."""

    __tablename__ = "effects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))
    consumer: Mapped[str] = mapped_column(String(64))


class ProducerSettings(ServiceSettings):
    service_name: ClassVar[str] = "producer"


class ConsumerSettings(ServiceSettings):
    service_name: ClassVar[str] = "consumer"


def fast_bus(
    settings_cls: type[ServiceSettings], url: str, nats_url: str, tmp: Path
) -> ServiceSettings:
    return settings_cls(
        database_url=url,
        nats_url=nats_url,
        var_dir=tmp,
        env="test",
        bus_max_deliver=3,
        bus_nak_base_delay_seconds=0.05,
        bus_ack_wait_seconds=5,
        outbox_poll_seconds=0.2,
    )


async def _schema(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(KernelBase.metadata.create_all)
        await connection.run_sync(EffectsBase.metadata.create_all)


@pytest_asyncio.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await _schema(database)
    yield database
    await database.dispose()


@pytest.fixture
def producer_settings(
    database_url: str, nats_server: NatsServer, tmp_path: Path
) -> ServiceSettings:
    return fast_bus(ProducerSettings, database_url, nats_server.url, tmp_path)


@pytest.fixture
def consumer_settings(
    database_url: str, nats_server: NatsServer, tmp_path: Path
) -> ServiceSettings:
    return fast_bus(ConsumerSettings, database_url, nats_server.url, tmp_path)
