from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from queue_api.tickets.schemas import TICKET_EXAMPLE, Ticket

MAX_CAPACITY = 500
ID_EXAMPLE = "18f3a2b4c5d6e7f80a1b2c3d4e5f6a7b"


class AppointmentState(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"


class SlotCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "item_code": "HJ-QY",
                    "starts_at": "2026-11-24T09:00:00+08:00",
                    "ends_at": "2026-11-24T09:30:00+08:00",
                    "capacity": 6,
                }
            ]
        },
    )

    item_code: str = Field(min_length=1, max_length=32)
    starts_at: AwareDatetime = Field(description="With its UTC offset; residents arrive by then")
    ends_at: AwareDatetime = Field(
        description="After `starts_at`, on the same local day at the centre"
    )
    capacity: int = Field(ge=1, le=MAX_CAPACITY, description="Residents who may book the slot")

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None and value <= starts_at:
            raise ValueError("a slot must end after it starts")
        return value


SLOT_EXAMPLE: dict[str, Any] = {
    "id": ID_EXAMPLE,
    "centre_id": "dinghai",
    "item_code": "HJ-QY",
    "starts_at": "2026-11-24T01:00:00Z",
    "ends_at": "2026-11-24T01:30:00Z",
    "capacity": 6,
    "booked": 4,
    "remaining": 2,
}


class Slot(BaseModel):
    """A bookable period for one item at one centre (预约时段)."""

    model_config = ConfigDict(json_schema_extra={"examples": [SLOT_EXAMPLE]})

    id: str
    centre_id: str
    item_code: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int = Field(description="Seats taken, checked-in appointments included")
    remaining: int = Field(description="Seats still free")


class AppointmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"slot_id": ID_EXAMPLE},
                {"slot_id": ID_EXAMPLE, "holder_sub": "citizen-7f3a"},
            ]
        },
    )

    slot_id: str = Field(min_length=1, max_length=32)
    holder_sub: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:@-]+$",
        description="The resident the seat is for. Agents and integrators must name her; "
        "a citizen books for herself only.",
    )


APPOINTMENT_EXAMPLE: dict[str, Any] = {
    "id": "18f3a2b4d0e1f2a3b4c5d6e7f8091a2b",
    "slot_id": ID_EXAMPLE,
    "centre_id": "dinghai",
    "item_code": "HJ-QY",
    "starts_at": "2026-11-24T01:00:00Z",
    "ends_at": "2026-11-24T01:30:00Z",
    "holder_sub": "citizen-7f3a",
    "booked_by": "agent-001",
    "station_id": "huaniao",
    "state": "booked",
    "ticket_id": None,
    "booked_at": "2026-11-23T02:10:00Z",
    "checked_in_at": None,
    "check_in_opens_at": "2026-11-24T00:30:00Z",
    "on_time_until": "2026-11-24T01:15:00Z",
}


class Appointment(BaseModel):
    """A booked seat in a slot (预约); check-in turns it into a ticket."""

    model_config = ConfigDict(json_schema_extra={"examples": [APPOINTMENT_EXAMPLE]})

    id: str
    slot_id: str
    centre_id: str
    item_code: str
    starts_at: datetime
    ends_at: datetime
    holder_sub: str
    booked_by: str
    station_id: str | None = Field(description="The island station that booked it, if one did")
    state: AppointmentState
    ticket_id: str | None = Field(description="The ticket made at check-in")
    booked_at: datetime
    checked_in_at: datetime | None
    check_in_opens_at: datetime = Field(description="The earliest check-in")
    on_time_until: datetime = Field(
        description="The latest check-in that keeps the booked place; later the resident "
        "joins the line of those who just took a number"
    )


class CheckIn(BaseModel):
    """The checked-in appointment and the ticket the resident now follows."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "appointment": APPOINTMENT_EXAMPLE
                    | {
                        "state": "checked_in",
                        "ticket_id": TICKET_EXAMPLE["id"],
                        "checked_in_at": "2026-11-24T00:52:00Z",
                    },
                    "ticket": TICKET_EXAMPLE | {"queue_class": "appointment", "position": 1},
                }
            ]
        }
    )

    appointment: Appointment
    ticket: Ticket
