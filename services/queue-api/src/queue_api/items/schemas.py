from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from queue_api.schemas import Patch

ITEM_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"

ItemName = Annotated[str, Field(min_length=1, max_length=200)]
Prefix = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{1,3}$",
        description="1–3 capital letters before the number (A012). Items may share a prefix: "
        "numbers run per centre, prefix and day, so items with one prefix share one sequence.",
    ),
]
Priority = Annotated[
    bool, Field(description="Served at the enterprise priority window (优先叫号) before others")
]
ServiceMinutes = Annotated[
    int, Field(ge=1, le=480, description="How long serving one resident usually takes")
]
RemoteAllowed = Annotated[
    bool, Field(description="Whether it can be served screen to screen from a station")
]

_EXAMPLE: dict[str, Any] = {
    "code": "HJ-QY",
    "name": "户口迁移",
    "prefix": "H",
    "priority": False,
    "expected_service_minutes": 15,
    "remote_allowed": True,
}


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    code: str = Field(pattern=ITEM_CODE_PATTERN, description="The item's stable code (事项编码)")
    name: ItemName
    prefix: Prefix
    priority: Priority = False
    expected_service_minutes: ServiceMinutes
    remote_allowed: RemoteAllowed = True


class ItemUpdate(Patch):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"expected_service_minutes": 20, "remote_allowed": False}]}
    )

    name: ItemName | None = None
    prefix: Prefix | None = None
    priority: Priority | None = None
    expected_service_minutes: ServiceMinutes | None = None
    remote_allowed: RemoteAllowed | None = None


class Item(BaseModel):
    """A service item (事项): what a resident comes for."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [_EXAMPLE | {"created_at": "2026-11-20T02:00:00Z"}]},
    )

    code: str
    name: str
    prefix: str
    priority: bool
    expected_service_minutes: int
    remote_allowed: bool
    created_at: datetime
