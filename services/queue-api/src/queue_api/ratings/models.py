from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cw_shared.db import UtcDateTime
from queue_api.models import Base


class Rating(Base):
    """One rating per ticket: 1 非常不满意 … 5 非常满意, with optional indicators and comment."""

    __tablename__ = "ratings"

    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    centre_id: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(32))
    counter_id: Mapped[str | None] = mapped_column(String(64))
    case_number: Mapped[str | None] = mapped_column(String(64))
    holder_sub: Mapped[str] = mapped_column(String(128))
    score: Mapped[int] = mapped_column(Integer)
    # {"overall": 5, "efficiency": 4, "competence": 5, "attitude": 5}
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_ratings_centre_rated", "centre_id", "rated_at"),)


class Rectification(Base):
    """The follow-up of a bad review (差评): revisit the resident, or appeal the rating."""

    __tablename__ = "rectifications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("ratings.ticket_id"), unique=True)
    centre_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))  # open, revisited, appealed, closed
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revisit_note: Mapped[str | None] = mapped_column(Text, default=None)
    revisited_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    appeal_reason: Mapped[str | None] = mapped_column(Text, default=None)
    appeal_decision: Mapped[str | None] = mapped_column(String(16), default=None)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
