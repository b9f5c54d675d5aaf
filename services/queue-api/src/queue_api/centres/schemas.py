from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from queue_api.schemas import Patch
from queue_api.tickets.models import QueueClass

CENTRE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
START_PATTERN = r"^(?:[01]\d|2[0-3]):[0-5]\d$"
END_PATTERN = r"^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$"  # "24:00" closes at midnight
MAX_INTERVALS_PER_DAY = 6
MAX_INTERLEAVE = 24

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _known_zone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError("not an IANA time zone")
    return value


def _in_order_and_disjoint(intervals: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # "HH:MM" strings compare like the times they name.
    previous_end = "00:00"
    for start, end in intervals:
        if end <= start:
            raise ValueError(f"the interval {start}-{end} must end after it starts")
        if start < previous_end:
            raise ValueError("a day's intervals must be in order and must not overlap")
        previous_end = end
    return intervals


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
Interval = tuple[
    Annotated[str, Field(pattern=START_PATTERN)], Annotated[str, Field(pattern=END_PATTERN)]
]
DayHours = Annotated[
    list[Interval],
    Field(max_length=MAX_INTERVALS_PER_DAY),
    AfterValidator(_in_order_and_disjoint),
]
OpeningHours = Annotated[
    dict[Weekday, DayHours],
    Field(
        description="Per weekday (`mon`…`sun`), the local `HH:MM` intervals the centre is open, "
        "in order and not overlapping; `24:00` may end the last one. A missing day is closed."
    ),
]
WaitMinutes = Annotated[int, Field(ge=1, le=480)]
Recalls = Annotated[
    int, Field(ge=0, le=10, description="Recalls after which a called resident is a no-show")
]
Interleave = Annotated[
    list[QueueClass],
    Field(
        max_length=MAX_INTERLEAVE,
        description="The queue classes a counter's calls cycle through, in order (repeat one "
        "to weight it); empty means the service's default rule",
    ),
]


def default_opening_hours() -> dict[Weekday, list[tuple[str, str]]]:
    """Monday to Friday 08:30–12:00 and 13:30–17:30, Saturday morning 09:00–12:00."""
    workdays: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    hours: dict[Weekday, list[tuple[str, str]]] = {
        day: [("08:30", "12:00"), ("13:30", "17:30")] for day in workdays
    }
    hours["sat"] = [("09:00", "12:00")]
    return hours


_HOURS_EXAMPLE: dict[str, Any] = {
    "mon": [["08:30", "12:00"], ["13:30", "17:30"]],
    "tue": [["08:30", "12:00"], ["13:30", "17:30"]],
    "wed": [["08:30", "12:00"], ["13:30", "17:30"]],
    "thu": [["08:30", "12:00"], ["13:30", "17:30"]],
    "fri": [["08:30", "12:00"], ["13:30", "17:30"]],
    "sat": [["09:00", "12:00"]],
}


class CentreCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "dinghai",
                    "name": "定海区行政服务中心公安窗口",
                    "timezone": "Asia/Shanghai",
                },
                {
                    "id": "putuo",
                    "name": "普陀区行政服务中心公安窗口",
                    "timezone": "Asia/Shanghai",
                    "opening_hours": _HOURS_EXAMPLE,
                    "max_wait_minutes": 90,
                    "target_wait_minutes": 30,
                    "no_show_after_recalls": 2,
                    "interleave": ["priority", "appointment", "walk_in", "walk_in"],
                },
            ]
        },
    )

    id: str = Field(pattern=CENTRE_ID_PATTERN, description="A short stable slug")
    name: str = Field(min_length=1, max_length=200)
    timezone: TimeZoneName = Field(
        "Asia/Shanghai", description="IANA zone of the centre's business day"
    )
    opening_hours: OpeningHours = Field(default_factory=default_opening_hours)
    max_wait_minutes: WaitMinutes = Field(60, description="The longest wait the centre accepts")
    target_wait_minutes: WaitMinutes = Field(
        20, description="The wait the centre aims for; at most `max_wait_minutes`"
    )
    no_show_after_recalls: Recalls = 2
    interleave: Interleave = Field(default_factory=list)

    @field_validator("target_wait_minutes")
    @classmethod
    def _target_within_max(cls, value: int, info: ValidationInfo) -> int:
        maximum = info.data.get("max_wait_minutes")
        if maximum is not None and value > maximum:
            raise ValueError("the target wait must not exceed max_wait_minutes")
        return value


class CentreUpdate(Patch):
    """Change some of a centre's fields; `opening_hours` is replaced as a whole."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "定海区行政服务中心公安窗口（新址）"},
                {"opening_hours": _HOURS_EXAMPLE | {"sat": []}, "max_wait_minutes": 45},
            ]
        },
    )

    name: str | None = Field(None, min_length=1, max_length=200)
    timezone: TimeZoneName | None = None
    opening_hours: OpeningHours | None = None
    max_wait_minutes: WaitMinutes | None = None
    target_wait_minutes: WaitMinutes | None = None
    no_show_after_recalls: Recalls | None = None
    interleave: Interleave | None = None


class Centre(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "dinghai",
                    "name": "定海区行政服务中心公安窗口",
                    "timezone": "Asia/Shanghai",
                    "opening_hours": _HOURS_EXAMPLE,
                    "max_wait_minutes": 60,
                    "target_wait_minutes": 20,
                    "no_show_after_recalls": 2,
                    "interleave": [],
                    "created_at": "2026-11-23T09:00:00Z",
                }
            ]
        },
    )

    id: str
    name: str
    timezone: str
    opening_hours: dict[Weekday, list[tuple[str, str]]]
    max_wait_minutes: int
    target_wait_minutes: int
    no_show_after_recalls: int
    interleave: list[QueueClass]
    created_at: datetime


class HolidaySet(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "国庆节"}]})

    name: str = Field(min_length=1, max_length=100, description="What the day is, e.g. 国庆节")


class Holiday(BaseModel):
    """A day the centre is closed whatever its opening hours say (节假日)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{"centre_id": "dinghai", "day": "2026-10-01", "name": "国庆节"}]
        },
    )

    centre_id: str
    day: date
    name: str
