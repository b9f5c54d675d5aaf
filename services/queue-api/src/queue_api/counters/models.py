from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cw_shared.db import UtcDateTime
from queue_api.models import Base


class Counter(Base):
    __tablename__ = "counters"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    centre_id: Mapped[str] = mapped_column(ForeignKey("service_centres.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    item_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    clerk_sub: Mapped[str | None] = mapped_column(String(128), default=None)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    call_cursor: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
