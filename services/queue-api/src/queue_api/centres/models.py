from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cw_shared.db import UtcDateTime
from queue_api.models import Base


class ServiceCentre(Base):
    """A service centre (服务中心) and its calling policy."""

    __tablename__ = "service_centres"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # {"mon": [["08:30", "12:00"], ["13:30", "17:30"]], ...}; a missing day is closed.
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    max_wait_minutes: Mapped[int] = mapped_column(Integer, default=60)
    target_wait_minutes: Mapped[int] = mapped_column(Integer, default=20)
    no_show_after_recalls: Mapped[int] = mapped_column(Integer, default=2)
    # The calling rule: classes in the order a counter's calls cycle through them.
    interleave: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class CentreHoliday(Base):
    __tablename__ = "centre_holidays"

    centre_id: Mapped[str] = mapped_column(ForeignKey("service_centres.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
