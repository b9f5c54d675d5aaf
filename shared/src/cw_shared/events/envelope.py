"""The CloudEvents-style envelope every event travels in.

Attribute names follow CloudEvents 1.0 (``specversion, id, source, type, subject, time,
datacontenttype, data``); ``requestid`` and ``actor`` are extension attributes carrying the
request that caused the event and the subject who acted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field

SUBJECT_PREFIX = "cw."


def subject_for(event_type: str) -> str:
    """``ticket.called`` travels on ``cw.ticket.called``."""
    return SUBJECT_PREFIX + event_type


class Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    source: str
    type: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)+$")
    subject: str | None = None
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)
    requestid: str | None = None
    actor: str | None = None


def new_event(
    event_type: str,
    data: dict[str, Any],
    *,
    source: str,
    subject: str | None = None,
    actor: str | None = None,
) -> Event:
    """An event stamped with the request id of the current request, when there is one."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return Event(
        type=event_type,
        source=source,
        subject=subject,
        data=data,
        requestid=request_id,
        actor=actor,
    )
