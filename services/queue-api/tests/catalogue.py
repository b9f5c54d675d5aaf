"""Helpers for the catalogue tests: build centres, items, stations and counters through the API
as an admin would, and read the events the service recorded."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from cw_shared.db import Database
from cw_shared.tables import OutboxRow
from cw_shared.testing import bearer
from queue_api.config import QueueSettings


def admin(settings: QueueSettings) -> dict[str, str]:
    return bearer(settings, "admin", sub="admin-1")


async def make_centre(
    client: httpx.AsyncClient, settings: QueueSettings, centre_id: str = "dinghai", **fields: Any
) -> dict[str, Any]:
    body = {"id": centre_id, "name": f"{centre_id} 公安窗口"} | fields
    response = await client.post("/v1/centres", json=body, headers=admin(settings))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def make_item(
    client: httpx.AsyncClient, settings: QueueSettings, code: str = "HJ", **fields: Any
) -> dict[str, Any]:
    body = {"code": code, "name": f"事项 {code}", "prefix": "A", "expected_service_minutes": 10}
    response = await client.post("/v1/items", json=body | fields, headers=admin(settings))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def make_station(
    client: httpx.AsyncClient,
    settings: QueueSettings,
    station_id: str = "huaniao",
    centre_id: str = "dinghai",
) -> dict[str, Any]:
    body = {"id": station_id, "centre_id": centre_id, "name": f"{station_id} 便民服务点"}
    response = await client.post("/v1/stations", json=body, headers=admin(settings))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def make_counter(
    client: httpx.AsyncClient,
    settings: QueueSettings,
    counter_id: str = "dinghai-01",
    centre_id: str = "dinghai",
    item_codes: tuple[str, ...] = ("HJ",),
) -> dict[str, Any]:
    body = {
        "id": counter_id,
        "centre_id": centre_id,
        "name": f"{counter_id} 窗口",
        "item_codes": list(item_codes),
    }
    response = await client.post("/v1/counters", json=body, headers=admin(settings))
    assert response.status_code == 201, response.text
    return dict(response.json())


def locations(response: httpx.Response) -> list[str]:
    """The fields a 422 names, in order."""
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:cw:problem:validation"
    return [error["location"] for error in response.json()["errors"]]


async def recorded_events(settings: QueueSettings, event_type: str) -> list[dict[str, Any]]:
    """The envelopes of ``event_type`` in the service's outbox, oldest first."""
    database = Database(settings.database_url)
    try:
        async with database.sessionmaker() as session:
            envelopes = await session.scalars(
                select(OutboxRow.envelope)
                .where(OutboxRow.event_type == event_type)
                .order_by(OutboxRow.seq)
            )
            return [json.loads(envelope) for envelope in envelopes]
    finally:
        await database.dispose()
