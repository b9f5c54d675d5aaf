"""The esign application."""

from __future__ import annotations

from fastapi import FastAPI

from cw_shared.app import create_service_app
from cw_shared.events.bus import Bus
from esign.config import EsignSettings
from esign.willingness.router import register_consumers as register_willingness_consumers
from esign.willingness.router import router as willingness_router


def consumers(bus: Bus) -> None:
    register_willingness_consumers(bus)


def create_app(settings: EsignSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or EsignSettings(),
        title="Zhoujing Cloud Window — esign",
        description="Electronic signatures and seals (电子签章).",
        routers=[willingness_router],
        consumers=consumers,
        openapi_tags=[
            {
                "name": "willingness",
                "description": "Face verification evidence for signing (意愿认证)",
            },
            {"name": "operations", "description": "Health, readiness, metrics"},
        ],
    )
