"""The declarative base of queue-api's tables; each domain package adds its models."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from cw_shared.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


def load_all_models() -> None:
    """Import every domain's models so that Base.metadata is complete (for Alembic)."""
    from queue_api.appointments import models as _appointments  # noqa: F401
    from queue_api.centres import models as _centres  # noqa: F401
    from queue_api.counters import models as _counters  # noqa: F401
    from queue_api.feed import models as _feed  # noqa: F401
    from queue_api.items import models as _items  # noqa: F401
    from queue_api.ratings import models as _ratings  # noqa: F401
    from queue_api.rooms import models as _rooms  # noqa: F401
    from queue_api.stations import models as _stations  # noqa: F401
    from queue_api.tickets import models as _tickets  # noqa: F401
