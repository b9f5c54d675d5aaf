"""The pieces every service's ``create_app`` is made of."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI

from cw_shared import health
from cw_shared.auth import LocalIssuer, TokenVerifier
from cw_shared.db import Database
from cw_shared.errors import install_error_handlers
from cw_shared.events.bus import Bus
from cw_shared.http import EdgeMiddleware
from cw_shared.idempotency import IdempotentReplay, replay_handler
from cw_shared.log import configure_logging
from cw_shared.settings import ServiceSettings

log = structlog.get_logger("cw.app")


def token_verifier(settings: ServiceSettings) -> TokenVerifier:
    local = None
    if not settings.auth_jwks_url:
        local = LocalIssuer(
            settings.keys_dir, issuer=settings.auth_issuer, audience=settings.auth_audience
        )
    return TokenVerifier(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        jwks_url=settings.auth_jwks_url,
        local=local,
        leeway_seconds=settings.auth_leeway_seconds,
    )


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    consumers: Callable[[Bus], None] | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
    also_run: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """A FastAPI app with the kernel wired in: errors, edge middleware, health, database, bus.

    ``also_run(app)`` is entered after the bus starts and left before it stops: a service's
    own background work (queue-api's feed hub, say).
    """
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    database = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )
    bus = Bus(settings, database)
    if consumers is not None:
        consumers(bus)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await bus.start()
        log.info("service started", database=database.engine.url.render_as_string())
        try:
            if also_run is None:
                yield
            else:
                async with also_run(app):
                    yield
        finally:
            await bus.stop()
            await database.dispose()
            log.info("service stopped")

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        openapi_tags=openapi_tags,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.bus = bus
    app.state.session_info = bus.session_info
    app.state.token_verifier = token_verifier(settings)
    install_error_handlers(app)
    app.add_exception_handler(IdempotentReplay, replay_handler)
    app.add_middleware(
        EdgeMiddleware, service=settings.service_name, max_body_bytes=settings.max_body_bytes
    )
    app.include_router(health.router)
    for router in routers:
        app.include_router(router)
    return app
