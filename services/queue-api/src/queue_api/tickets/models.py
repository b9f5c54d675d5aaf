from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cw_shared.db import UtcDateTime
from queue_api.models import Base


class Channel(StrEnum):
    APP = "app"
    STATION = "station"
    COUNTER = "counter"
    INTEGRATOR = "integrator"


class QueueClass(StrEnum):
    PRIORITY = "priority"
    APPOINTMENT = "appointment"
    WALK_IN = "walk_in"


class State(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    PARKED = "parked"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    DONE = "done"  # 办结
    NEEDS_MATERIAL = "needs_material"  # 补正
    REJECTED = "rejected"  # 退回


class NumberSequence(Base):
    """The last number issued per centre, prefix and business day (UPDATE … RETURNING)."""

    __tablename__ = "number_sequences"

    centre_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(3), primary_key=True)
    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    centre_id: Mapped[str] = mapped_column(ForeignKey("service_centres.id"))
    item_code: Mapped[str] = mapped_column(ForeignKey("service_items.code"))
    business_day: Mapped[date] = mapped_column(Date)
    number: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    holder_sub: Mapped[str] = mapped_column(String(128), index=True)
    issued_by: Mapped[str] = mapped_column(String(128))  # the subject who took the number
    agent_sub: Mapped[str | None] = mapped_column(String(128), default=None)
    station_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    queue_class: Mapped[str] = mapped_column(String(16))
    # The queue's order within a class: issue time, or the booked time of an appointment.
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16))
    remote: Mapped[bool] = mapped_column(Boolean)
    target_counter_id: Mapped[str | None] = mapped_column(String(64), default=None)
    counter_id: Mapped[str | None] = mapped_column(String(64), default=None)
    clerk_sub: Mapped[str | None] = mapped_column(String(128), default=None)
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    heartbeat_lost: Mapped[bool] = mapped_column(Boolean, default=False)
    serving_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    case_number: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (
        UniqueConstraint("centre_id", "business_day", "number", name="uq_tickets_number"),
        Index("ix_tickets_queue", "centre_id", "state", "queue_class", "queued_at"),
    )
