from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from face_verify.models import Base


class ReferenceFace(Base):
    """An encrypted face template; the photo itself is only represented by its hash."""

    __tablename__ = "reference_faces"

    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    template_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(64))
    photo_sha256: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(64))
    enrolled_by: Mapped[str] = mapped_column(String(128))
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
