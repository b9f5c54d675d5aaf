from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from esign.models import Base


class FaceVerification(Base):
    """A passed face verification as face-verify announced it (``face.verified``)."""

    __tablename__ = "face_verifications"

    verification_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(128))
    room_id: Mapped[str | None] = mapped_column(String(64))
    ticket_id: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event_id: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_face_verifications_subject_decided", "subject", "decided_at"),)
