from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class FaceVerified(BaseModel):
    """``data`` of a ``face.verified`` event."""

    verification_id: str = Field(max_length=64)
    subject: str = Field(max_length=128)
    room_id: str | None = Field(None, max_length=64)
    ticket_id: str | None = Field(None, max_length=64)
    score: float = Field(ge=0, le=100)
    decided_at: AwareDatetime


class Willingness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "subject": "citizen-7f3a",
                    "room_id": "3f2a9c0e4b7d4e1f9a8b7c6d5e4f3a2b",
                    "satisfied": True,
                    "verification_id": "fv-01",
                    "score": 92.5,
                    "verified_at": "2026-11-23T09:20:00Z",
                    "valid_until": "2026-11-23T09:30:00Z",
                }
            ]
        }
    )

    subject: str
    room_id: str
    satisfied: bool
    verification_id: str | None = None
    score: float | None = None
    verified_at: datetime | None = None
    valid_until: datetime | None = None
