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
    kind: str = "ad_hoc"
    counter_id: str | None = None
    close_reason: str | None = None


class TicketCalled(BaseModel):
    """What video-session reads from ``ticket.called``."""

    ticket_id: str
    centre_id: str
    counter_id: str | None = None
    clerk_sub: str | None = None
    holder_sub: str | None = None
    agent_sub: str | None = None
    station_id: str | None = None
    remote: bool = False


class TicketEnded(BaseModel):
    """What video-session reads from ``ticket.completed`` / ``.no_show`` / ``.cancelled``."""

    ticket_id: str


class RoomToken(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "room_id": "3f2a9c0e4b7d4e1f9a8b7c6d5e4f3a2b",
                    "role": "citizen",
                    "token": "eyJhbGciOiJIUzI1NiJ9.…",
                    "expires_at": 1795456800,
                    "ice_servers": [
                        {"urls": ["stun:turn.example.org:3478"]},
                        {
                            "urls": ["turn:turn.example.org:3478?transport=udp"],
                            "username": "1795460400:citizen-7f3a",
                            "credential": "q0vX4o2V0mU1sO3p3b0n8Yc2J9k=",
                        },
                    ],
                }
            ]
        }
    )

    room_id: str
    role: str = Field(description="citizen, agent, clerk or expert")
    token: str = Field(description="Short-lived; present it to the signaling socket")
    expires_at: int
    ice_servers: list[dict[str, Any]]


class IceServers(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"ice_servers": [{"urls": ["stun:turn.example.org"]}], "ttl_seconds": 3600}
            ]
        }
    )

    ice_servers: list[dict[str, Any]]
    ttl_seconds: int


class Invitation(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"expert_sub": "expert-01"}]}
    )

    expert_sub: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")


class CloseRoom(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})
