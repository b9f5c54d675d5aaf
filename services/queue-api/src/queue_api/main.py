"""The queue-api application."""

from __future__ import annotations

from fastapi import FastAPI

from cw_shared.app import create_service_app
from cw_shared.events.bus import Bus
from queue_api.centres.router import router as centres_router
from queue_api.config import QueueSettings
from queue_api.rooms.router import register_consumers as register_room_consumers
from queue_api.rooms.router import router as rooms_router


def consumers(bus: Bus) -> None:
    register_room_consumers(bus)


def create_app(settings: QueueSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or QueueSettings(),
        title="Zhoujing Cloud Window — queue-api",
        description="Remote queue numbering (远程叫号): service centres, tickets, calling.",
        routers=[centres_router, rooms_router],
        consumers=consumers,
        openapi_tags=[
            {"name": "centres", "description": "Service centres (服务中心)"},
            {"name": "rooms", "description": "Video rooms opened for tickets"},
            {"name": "operations", "description": "Health, readiness, metrics"},
        ],
    )
