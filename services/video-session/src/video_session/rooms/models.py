from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from cw_shared.db import UtcDateTime
from video_session.models import Base


class Room(Base):
    """A video room: for a called remote ticket, or opened ad hoc by a clerk."""

    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="ad_hoc")  # ticket | ad_hoc
    centre_id: Mapped[str] = mapped_column(String(64), index=True)
    ticket_id: Mapped[str | None] = mapped_column(String(64), index=True)
    opened_by: Mapped[str] = mapped_column(String(128))
    # Who may join, besides the clerk who opened it: the ticket's holder and her agent.
    holder_sub: Mapped[str | None] = mapped_column(String(128), default=None)
    agent_sub: Mapped[str | None] = mapped_column(String(128), default=None)
    station_id: Mapped[str | None] = mapped_column(String(64), default=None)
    counter_id: Mapped[str | None] = mapped_column(String(64), default=None)
    invited: Mapped[list[str]] = mapped_column(JSON, default=list)  # experts (多部门会诊)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    close_reason: Mapped[str | None] = mapped_column(String(32), default=None)
