from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

SUBJECT_PATTERN = r"^[A-Za-z0-9._:@-]{1,128}$"


class ReferenceInfo(BaseModel):
    """What may be said about a reference face: never the template, never the photo."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "subject": "citizen-7f3a",
                    "photo_sha256": "9f86d081884c7d659a2feaa0c55ad015"
                    "a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "model": "dlib-resnet-v1",
                    "enrolled_by": "integrator-zlb",
                    "enrolled_at": "2026-11-23T09:00:00Z",
                }
            ]
        },
    )

    subject: str
    photo_sha256: str
    model: str
    enrolled_by: str
    enrolled_at: datetime
