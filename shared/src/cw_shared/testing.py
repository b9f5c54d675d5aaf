"""Pytest fixtures shared by every service's tests: real servers, real databases.

* ``nats_server``: a real nats-server with JetStream on a random port (function-scoped, so
  each test has its own streams and consumers).
* ``database_url``: a fresh SQLite file and, when ``TEST_POSTGRES_URL`` is set, a fresh
  PostgreSQL database (the fixture is parametrized over both).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from cw_shared.auth import LocalIssuer, Role
from cw_shared.local import NatsServer, free_port
from cw_shared.migrations import upgrade
from cw_shared.settings import ServiceSettings

POSTGRES_ENV = "TEST_POSTGRES_URL"


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(port=free_port(), store_dir=tmp_path / "nats")
    server.start()
    yield server
    server.stop()


def _postgres_urls(base: str) -> tuple[str, str, str]:
    """(admin URL for asyncpg, the new database's SQLAlchemy URL, its name)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = make_url(base)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    target = url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )
    return admin, target, name


async def _pg_admin(admin_url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    admin, target, name = _postgres_urls(base)
    asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    yield target
    asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (bus, relay) and give a client that talks to it in process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@asynccontextmanager
async def migrated_and_running(
    service_dir: Path, create_app: Callable[[Any], FastAPI], settings: ServiceSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """Migrate the service's database, then run the app as :func:`running` does."""
    await asyncio.to_thread(upgrade, service_dir, settings.database_url)
    async with running(create_app(settings)) as client:
        yield client


def issuer_for(settings: ServiceSettings) -> LocalIssuer:
    return LocalIssuer(
        settings.keys_dir, issuer=settings.auth_issuer, audience=settings.auth_audience
    )


def bearer(
    settings: ServiceSettings,
    role: Role | str,
    *,
    sub: str | None = None,
    centre: str | None = None,
    station: str | None = None,
    scopes: list[str] | None = None,
    ttl_seconds: int = 600,
) -> dict[str, str]:
    role = Role(role)
    token = issuer_for(settings).mint(
        role=role,
        sub=sub or f"{role.value}-1",
        scopes=scopes,
        centre=centre,
        station=station,
        ttl_seconds=ttl_seconds,
    )
    return {"Authorization": f"Bearer {token}"}


async def eventually(predicate, timeout: float = 10.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll an async predicate until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        await asyncio.sleep(interval)
