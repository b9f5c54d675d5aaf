from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from queue_api.centres.schemas import CENTRE_ID_PATTERN
from queue_api.schemas import Patch

STATION_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"

_NAME = "花鸟乡便民服务点"


class StationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"id": "huaniao", "centre_id": "shengsi", "name": _NAME}]},
    )

    id: str = Field(pattern=STATION_ID_PATTERN, description="A short stable slug")
    centre_id: str = Field(
        pattern=CENTRE_ID_PATTERN, description="The centre whose counters serve this station"
    )
    name: str = Field(min_length=1, max_length=200)


class StationUpdate(Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "花鸟乡便民服务中心"}]})

    name: str | None = Field(None, min_length=1, max_length=200)


class Station(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "huaniao",
                    "centre_id": "shengsi",
                    "name": _NAME,
                    "heartbeat_at": "2026-11-23T01:15:30Z",
                    "created_at": "2026-11-20T02:00:00Z",
                }
            ]
        },
    )

    id: str
    centre_id: str
    name: str
    heartbeat_at: datetime | None = Field(
        description="When the station's agent last said it is online; null if never"
    )
    created_at: datetime


class Heartbeat(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"station_id": "huaniao", "heartbeat_at": "2026-11-23T01:15:30Z"}]
        },
    )

    station_id: str
    heartbeat_at: datetime
