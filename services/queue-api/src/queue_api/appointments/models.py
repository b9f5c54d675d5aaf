from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cw_shared.db import UtcDateTime
from queue_api.models import Base


class AppointmentSlot(Base):
    __tablename__ = "appointment_slots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    centre_id: Mapped[str] = mapped_column(ForeignKey("service_centres.id"))
    item_code: Mapped[str] = mapped_column(ForeignKey("service_items.code"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    __table_args__ = (Index("ix_appointment_slots_lookup", "centre_id", "item_code", "starts_at"),)


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    slot_id: Mapped[str] = mapped_column(ForeignKey("appointment_slots.id"), index=True)
    centre_id: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(32))
    holder_sub: Mapped[str] = mapped_column(String(128), index=True)
    booked_by: Mapped[str] = mapped_column(String(128))
    station_id: Mapped[str | None] = mapped_column(String(64), default=None)
    state: Mapped[str] = mapped_column(String(16))  # booked, checked_in, cancelled
    ticket_id: Mapped[str | None] = mapped_column(String(32), default=None)
    booked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)

    # One live booking per person and slot: a retried booking is not a second seat.
    __table_args__ = (UniqueConstraint("slot_id", "holder_sub", name="uq_appointments_holder"),)
