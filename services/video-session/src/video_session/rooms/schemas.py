from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ROOM_EXAMPLE: dict[str, Any] = {
    "id": "3f2a9c0e4b7d4e1f9a8b7c6d5e4f3a2b",
    "centre_id": "dinghai",
    "ticket_id": "T-20261123-0001",
    "opened_by": "clerk-001",
    "opened_at": "2026-11-23T09:12:00Z",
    "closed_at": None,
    "join_url": "http://127.0.0.1:8102/app/rooms/3f2a9c0e4b7d4e1f9a8b7c6d5e4f3a2b",
}


class RoomCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ticket_id": "T-20261123-0001"}]}
    )

    ticket_id: str | None = Field(
        None, min_length=1, max_length=64, description="The ticket served in this room, if any"
    )


class RoomOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ROOM_EXAMPLE]})

    id: str
    centre_id: str
    ticket_id: str | None
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    join_url: str
