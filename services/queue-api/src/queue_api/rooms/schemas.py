from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict


class RoomOpened(BaseModel):
    """``data`` of a ``room.opened`` event."""

    room_id: str
    ticket_id: str | None = None
    centre_id: str
    join_url: str
    opened_at: AwareDatetime


class TicketRoomOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "room_id": "3f2a9c0e4b7d4e1f9a8b7c6d5e4f3a2b",
                    "ticket_id": "T-20261123-0001",
                    "centre_id": "dinghai",
                    "join_url": "http://127.0.0.1:8102/app/rooms/3f2a9c0e4b7d4e1f9a8b7c6d5e4f3a2b",
                    "opened_at": "2026-11-23T09:12:00Z",
                }
            ]
        },
    )

    room_id: str
    ticket_id: str | None
    centre_id: str
    join_url: str
    opened_at: datetime
