"""The queue-api application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cw_shared.app import create_service_app
from cw_shared.events.bus import Bus
from queue_api.appointments.router import router as appointments_router
from queue_api.centres.router import router as centres_router
from queue_api.clock import SystemClock
from queue_api.config import QueueSettings
from queue_api.counters.router import router as counters_router
from queue_api.feed.router import router as feed_router
from queue_api.feed.service import WAKEUP_KEY as FEED_WAKEUP
from queue_api.feed.service import FeedHub
from queue_api.items.router import router as items_router
from queue_api.ratings.router import router as ratings_router
from queue_api.ratings.service import overdue_loop
from queue_api.reports.router import router as reports_router
from queue_api.rooms.router import register_consumers as register_room_consumers
from queue_api.rooms.router import router as rooms_router
from queue_api.stations.router import router as stations_router
from queue_api.tickets.router import router as tickets_router


def consumers(bus: Bus) -> None:
    register_room_consumers(bus)


def create_app(settings: QueueSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or QueueSettings(),
        title="Zhoujing Cloud Window — queue-api",
        description="Remote queue numbering (远程叫号): service centres, tickets, calling.",
        routers=[
            centres_router,
            stations_router,
            items_router,
            counters_router,
            tickets_router,
            appointments_router,
            feed_router,
            rooms_router,
            ratings_router,
            reports_router,
        ],
        consumers=consumers,
        also_run=run_background,
        openapi_tags=[
            {"name": "centres", "description": "Service centres (服务中心), hours, holidays"},
            {"name": "stations", "description": "Island stations (便民服务点) and their heartbeat"},
            {"name": "items", "description": "Service items (事项)"},
            {"name": "counters", "description": "Counters (窗口), opened and closed by clerks"},
            {"name": "tickets", "description": "Numbers, the queue, calling and serving"},
            {"name": "appointments", "description": "Bookable slots (预约) and check-in"},
            {"name": "streams", "description": "Server-Sent Events for apps and display boards"},
            {"name": "rooms", "description": "Video rooms opened for tickets"},
            {
                "name": "ratings",
                "description": "Ratings (好差评) and the rectification (整改) of bad reviews",
            },
            {"name": "reports", "description": "A business day's metrics by centre, item, counter"},
            {"name": "operations", "description": "Health, readiness, metrics"},
        ],
    )
    app.state.clock = SystemClock()
    app.state.feed_hub = FeedHub(
        app.state.database, poll_seconds=app.state.settings.feed_poll_seconds
    )
    app.state.session_info[FEED_WAKEUP] = app.state.feed_hub.wake
    return app


@asynccontextmanager
async def run_background(app: FastAPI) -> AsyncIterator[None]:
    """The feed hub (live streams) and the periodic check for overdue rectifications."""
    hub: FeedHub = app.state.feed_hub
    await hub.start()
    stop = asyncio.Event()
    overdue = asyncio.create_task(overdue_loop(app, stop=stop), name="overdue-rectifications")
    try:
        yield
    finally:
        stop.set()
        await overdue
        await hub.stop()
