from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from cw_shared.db import UtcDateTime
from queue_api.models import Base


class TicketRoom(Base):
    __tablename__ = "ticket_rooms"

    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[str | None] = mapped_column(String(64), index=True)
    centre_id: Mapped[str] = mapped_column(String(64))
    join_url: Mapped[str] = mapped_column(String(500))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
