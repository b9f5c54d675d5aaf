"""The video-session application."""

from __future__ import annotations

from fastapi import FastAPI

from cw_shared.app import create_service_app
from video_session.config import VideoSettings
from video_session.rooms.router import register_consumers
from video_session.rooms.router import router as rooms_router


def create_app(settings: VideoSettings | None = None) -> FastAPI:
    settings = settings or VideoSettings()
    return create_service_app(
        settings,
        title="Zhoujing Cloud Window — video-session",
        description="Screen-to-screen rooms (舟警云窗): signaling, projection, co-browsing.",
        routers=[rooms_router],
        consumers=lambda bus: register_consumers(bus, settings),
        openapi_tags=[
            {"name": "rooms", "description": "Video rooms"},
            {"name": "operations", "description": "Health, readiness, metrics"},
        ],
    )
