"""Ticket numbers: the item's prefix plus a per-centre, per-prefix, per-business-day sequence.

One counter row per (centre, prefix, day), incremented with ``INSERT … ON CONFLICT DO UPDATE …
RETURNING`` inside the ticket's transaction: concurrent issuers queue on that row, so no number
is ever given twice; the unique (centre, day, number) constraint on tickets is the safety net.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from queue_api.tickets.models import NumberSequence

DIGITS = 3


async def next_sequence(session: AsyncSession, *, centre_id: str, prefix: str, day: date) -> int:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(NumberSequence)
        .values(centre_id=centre_id, prefix=prefix, business_day=day, last=1)
        .on_conflict_do_update(
            index_elements=["centre_id", "prefix", "business_day"],
            set_={"last": NumberSequence.last + 1},
        )
        .returning(NumberSequence.last)
    )
    return int((await session.execute(statement)).scalar_one())


def format_number(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:0{DIGITS}d}"
