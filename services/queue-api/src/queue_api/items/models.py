from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cw_shared.db import UtcDateTime
from queue_api.models import Base


class ServiceItem(Base):
    __tablename__ = "service_items"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(3))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)  # 优先叫号 (enterprise)
    expected_service_minutes: Mapped[int] = mapped_column(Integer)
    remote_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
