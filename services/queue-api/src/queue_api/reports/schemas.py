from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Rate = float | None
Minutes = float | None


class GroupBy(StrEnum):
    CENTRE = "centre"
    ITEM = "item"
    COUNTER = "counter"


DAILY_ROW_EXAMPLE: dict[str, Any] = {
    "centre_id": "dinghai",
    "item_code": "HJ-QY",
    "counter_id": None,
    "issued": 4,
    "called": 4,
    "served": 3,
    "no_shows": 1,
    "no_show_rate": 0.25,
    "wait_p50_minutes": 10.0,
    "wait_p90_minutes": 30.0,
    "within_target_rate": 0.75,
    "service_p50_minutes": 8.0,
    "service_p90_minutes": 15.0,
    "done": 2,
    "first_time_rate": 0.5,
    "ratings": 2,
    "good_rate": 0.5,
    "bad_rate": 0.5,
    "unrated_rate": 0.3333,
}


class DailyRow(BaseModel):
    """One group's metrics. Rates are shares from 0 to 1 (4 decimals), minutes have 1
    decimal; both are null when there is nothing to divide by."""

    model_config = ConfigDict(json_schema_extra={"examples": [DAILY_ROW_EXAMPLE]})

    centre_id: str
    item_code: str | None = Field(description="Set when grouped by item")
    counter_id: str | None = Field(
        description="Set when grouped by counter; null there for tickets never called"
    )
    issued: int = Field(description="Tickets issued for the day")
    called: int = Field(description="Tickets called to a counter (whatever happened next)")
    served: int = Field(description="Tickets completed, whatever the outcome")
    no_shows: int
    no_show_rate: Rate = Field(description="no_shows / called")
    wait_p50_minutes: Minutes = Field(
        description="Waits of called tickets, issue (or, for an appointment, its booked time "
        "if later) to call; the median"
    )
    wait_p90_minutes: Minutes
    within_target_rate: Rate = Field(
        description="Share of called tickets that waited at most the centre's target wait"
    )
    service_p50_minutes: Minutes = Field(description="Start of serving to completion; median")
    service_p90_minutes: Minutes
    done: int = Field(description="Completed tickets with the outcome done (办结)")
    first_time_rate: Rate = Field(
        description="一次办成率: share of `done` tickets whose holder had no ticket of the same "
        "item completed as needs_material (补正) or rejected (退回) in the 30 days before"
    )
    ratings: int = Field(
        description="Ratings of the group's tickets, less those an upheld appeal set aside"
    )
    good_rate: Rate = Field(description="好评率: scores 4-5 / ratings")
    bad_rate: Rate = Field(description="差评率: scores 1-2 / ratings")
    unrated_rate: Rate = Field(description="Completed tickets without a rating / served")


class DailyReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "centre_id": "dinghai",
                    "day": "2026-11-23",
                    "group_by": "item",
                    "target_wait_minutes": 20,
                    "rows": [DAILY_ROW_EXAMPLE],
                }
            ]
        }
    )

    centre_id: str
    day: date = Field(description="The centre's business day (业务日)")
    group_by: GroupBy
    target_wait_minutes: int
    rows: list[DailyRow]
