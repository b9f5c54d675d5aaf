from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cw_shared.db import UtcDateTime
from cw_shared.tables import SequenceId
from queue_api.models import Base


class FeedEntry(Base):
    """One change a stream shows, in commit order; its ``seq`` is the SSE event id."""

    __tablename__ = "feed"

    seq: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    centre_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_feed_centre_seq", "centre_id", "seq"),
        Index("ix_feed_ticket_seq", "ticket_id", "seq"),
    )
