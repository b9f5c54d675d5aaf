"""Catalogue rows for ticket tests, written straight to the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cw_shared.db import Database
from queue_api.centres.models import ServiceCentre
from queue_api.counters.models import Counter
from queue_api.items.models import ServiceItem
from queue_api.stations.models import Station

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
OFFICE_HOURS = {
    day: [["08:30", "12:00"], ["13:30", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")
}
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def midday_zone() -> str:
    """A zone where it is about noon now, for tests on the real clock: far from the business
    day's end, whenever the suite runs."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12  # -12 .. +11 hours
    # Etc/GMT zones count the other way round: Etc/GMT-8 is UTC+8.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


async def seed(
    url: str,
    *,
    timezone: str = "Asia/Shanghai",
    hours: dict[str, Any] | None = None,
    counters: int = 2,
    interleave: list[str] | None = None,
    max_wait_minutes: int = 60,
    open_counters: bool = True,
    heartbeat_at: datetime | None = None,
) -> None:
    database = Database(url)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with database.sessionmaker() as session, session.begin():
        session.add(
            ServiceCentre(
                id="dinghai",
                name="定海",
                timezone="Asia/Shanghai",
                opening_hours=hours or ALL_DAY,
                max_wait_minutes=max_wait_minutes,
                target_wait_minutes=20,
                no_show_after_recalls=2,
                interleave=interleave or [],
                created_at=now,
            )
        )
        await session.flush()
        session.add_all(
            [
                ServiceItem(
                    code="HJ",
                    name="户籍",
                    prefix="A",
                    priority=False,
                    expected_service_minutes=10,
                    remote_allowed=True,
                    created_at=now,
                ),
                ServiceItem(
                    code="QY",
                    name="企业",
                    prefix="P",
                    priority=True,
                    expected_service_minutes=10,
                    remote_allowed=True,
                    created_at=now,
                ),
                ServiceItem(
                    code="ZJ",
                    name="证件",
                    prefix="B",
                    priority=False,
                    expected_service_minutes=10,
                    remote_allowed=False,
                    created_at=now,
                ),
                Station(
                    id="huaniao",
                    centre_id="dinghai",
                    name="花鸟岛",
                    heartbeat_at=heartbeat_at,
                    created_at=now,
                ),
            ]
        )
        await session.flush()
        for n in range(1, counters + 1):
            session.add(
                Counter(
                    id=f"w{n}",
                    centre_id="dinghai",
                    name=f"{n}号窗口",
                    item_codes=["HJ", "QY", "ZJ"],
                    is_open=open_counters,
                    clerk_sub=f"clerk-{n}" if open_counters else None,
                    opened_at=now if open_counters else None,
                    call_cursor=0,
                    created_at=now,
                )
            )
    await database.dispose()
