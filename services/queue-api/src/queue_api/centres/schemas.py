from __future__ import annotations

from datetime import datetime
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

CENTRE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


class CentreCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"id": "dinghai", "name": "定海区行政服务中心公安窗口", "timezone": "Asia/Shanghai"}
            ]
        },
    )

    id: str = Field(pattern=CENTRE_ID_PATTERN, description="A short stable slug")
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field("Asia/Shanghai", description="IANA zone of the centre's business day")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("not an IANA time zone")
        return value


class Centre(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "dinghai",
                    "name": "定海区行政服务中心公安窗口",
                    "timezone": "Asia/Shanghai",
                    "created_at": "2026-11-23T09:00:00Z",
                }
            ]
        },
    )

    id: str
    name: str
    timezone: str
    created_at: datetime
