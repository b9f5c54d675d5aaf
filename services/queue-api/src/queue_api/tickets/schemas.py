from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cw_shared.log import contains_id_number
from queue_api.tickets.models import Outcome

TICKET_EXAMPLE: dict[str, Any] = {
    "id": "5b1f0c3e2d7a4c1e9f8a7b6c5d4e3f2a",
    "number": "A007",
    "centre_id": "dinghai",
    "item_code": "HJ-QY",
    "channel": "station",
    "holder_sub": "citizen-7f3a",
    "agent_sub": "agent-001",
    "station_id": "huaniao",
    "queue_class": "walk_in",
    "state": "waiting",
    "remote": True,
    "issued_at": "2026-11-23T09:00:00+08:00",
    "counter_id": None,
    "called_at": None,
    "recalls": 0,
    "heartbeat_lost": False,
    "outcome": None,
    "case_number": None,
    "position": 3,
    "expected_wait": {"p50_minutes": 12, "p90_minutes": 21},
}


class TicketCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"centre_id": "dinghai", "item_code": "HJ-QY", "holder_sub": "citizen-7f3a"},
                {"centre_id": "dinghai", "item_code": "HJ-QY"},
            ]
        },
    )

    centre_id: str = Field(min_length=1, max_length=64)
    item_code: str = Field(min_length=1, max_length=32)
    holder_sub: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:@-]+$",
        description="The resident served, as the identity provider names her (never her ID "
        "number). Agents, clerks and integrators must name her; a citizen takes numbers for "
        "herself only.",
    )

    @field_validator("holder_sub")
    @classmethod
    def _not_an_id_number(cls, value: str | None) -> str | None:
        if value is not None and contains_id_number(value):
            raise ValueError("use the identity provider's subject, not an ID number")
        return value


class ExpectedWait(BaseModel):
    p50_minutes: int = Field(description="Half of residents in this position waited less")
    p90_minutes: int = Field(description="Nine in ten waited less; plan with this one")


class Ticket(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [TICKET_EXAMPLE]})

    id: str
    number: str
    centre_id: str
    item_code: str
    channel: str
    holder_sub: str
    agent_sub: str | None
    station_id: str | None
    queue_class: str
    state: str
    remote: bool
    issued_at: datetime
    counter_id: str | None
    called_at: datetime | None
    recalls: int
    heartbeat_lost: bool
    outcome: str | None
    case_number: str | None
    position: int | None = Field(None, description="1 = next; only while waiting")
    expected_wait: ExpectedWait | None = None


class CallNext(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})


class CallTicket(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"counter_id": "w3"}]}
    )

    counter_id: str = Field(min_length=1, max_length=64)


class ReturnToQueue(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"position": "first"}]}
    )

    position: Literal["first", "last"] = "last"


class Transfer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"item_code": "CRJ-HZ"}, {"counter_id": "w5"}]},
    )

    item_code: str | None = Field(None, min_length=1, max_length=32)
    counter_id: str | None = Field(None, min_length=1, max_length=64)


class Complete(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"outcome": "done", "case_number": "330902-2026-000123"}]},
    )

    outcome: Outcome = Field(description="办结 done / 补正 needs_material / 退回 rejected")
    case_number: str | None = Field(
        None, min_length=1, max_length=64, description="办件编号; required when done"
    )


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})
