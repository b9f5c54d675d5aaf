from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from queue_api.centres.schemas import CENTRE_ID_PATTERN
from queue_api.items.schemas import ITEM_CODE_PATTERN
from queue_api.schemas import Patch

COUNTER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
MAX_ITEMS_PER_COUNTER = 100


def _distinct(codes: list[str]) -> list[str]:
    if len(set(codes)) != len(codes):
        raise ValueError("each item may be listed once")
    return codes


CounterName = Annotated[str, Field(min_length=1, max_length=100)]
ItemCodes = Annotated[
    list[Annotated[str, Field(pattern=ITEM_CODE_PATTERN)]],
    Field(
        min_length=1,
        max_length=MAX_ITEMS_PER_COUNTER,
        description="The service items this counter serves: codes of existing items",
    ),
    AfterValidator(_distinct),
]


class CounterCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "dinghai-03",
                    "centre_id": "dinghai",
                    "name": "3号窗口",
                    "item_codes": ["HJ-QY", "SFZ-BL"],
                }
            ]
        },
    )

    id: str = Field(pattern=COUNTER_ID_PATTERN, description="A short stable slug")
    centre_id: str = Field(pattern=CENTRE_ID_PATTERN)
    name: CounterName
    item_codes: ItemCodes


class CounterUpdate(Patch):
    """Rename a counter or replace the items it serves (as a whole)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"item_codes": ["HJ-QY", "SFZ-BL", "JZZ-BL"]}]}
    )

    name: CounterName | None = None
    item_codes: ItemCodes | None = None


class Counter(BaseModel):
    """A counter (窗口) and whether a clerk has it open."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "dinghai-03",
                    "centre_id": "dinghai",
                    "name": "3号窗口",
                    "item_codes": ["HJ-QY", "SFZ-BL"],
                    "is_open": True,
                    "clerk_sub": "clerk-001",
                    "opened_at": "2026-11-23T00:31:00Z",
                    "created_at": "2026-11-20T02:00:00Z",
                }
            ]
        },
    )

    id: str
    centre_id: str
    name: str
    item_codes: list[str]
    is_open: bool
    clerk_sub: str | None = Field(description="The clerk who has the counter open")
    opened_at: datetime | None
    created_at: datetime
