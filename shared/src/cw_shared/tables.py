"""The kernel's tables, present in every service's database: outbox, inbox, idempotency keys.

Each service's first migration creates them with :func:`cw_shared.migrations.create_kernel_tables`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cw_shared.db import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a BIGINT identity.
SequenceId = BigInteger().with_variant(Integer(), "sqlite")


class OutboxRow(Base):
    """An event written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(128))
    envelope: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    __table_args__ = (Index("ix_outbox_unpublished", "published_at", "seq"),)


class InboxRow(Base):
    """An event a consumer has handled, recorded in the same transaction as its effect."""

    __tablename__ = "inbox"

    consumer: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(128))
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IdempotencyRow(Base):
    """The first response to a (caller, Idempotency-Key) pair, replayed to retries."""

    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(String(160), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
