"""The declarative base of esign's tables; each domain package adds its models."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from cw_shared.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


def load_all_models() -> None:
    """Import every domain's models so that Base.metadata is complete (for Alembic)."""
    from esign.willingness import models as _willingness  # noqa: F401
