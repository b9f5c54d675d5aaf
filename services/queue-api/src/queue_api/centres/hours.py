"""Opening hours and the business day (业务日), in the centre's own time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from queue_api.centres.models import ServiceCentre

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def local(centre: ServiceCentre, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(centre.timezone))


def business_day(centre: ServiceCentre, now: datetime) -> date:
    """The local calendar day: numbering restarts at the centre's midnight."""
    return local(centre, now).date()


def _at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    if hhmm == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0), zone)
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), zone)


def intervals(
    centre: ServiceCentre, day: date, holidays: set[date]
) -> list[tuple[datetime, datetime]]:
    """The day's opening intervals; none on a holiday or a day without hours."""
    if day in holidays:
        return []
    zone = ZoneInfo(centre.timezone)
    spans = (centre.opening_hours or {}).get(WEEKDAYS[day.weekday()], [])
    return [(_at(day, start, zone), _at(day, end, zone)) for start, end in spans]


def closing_time(centre: ServiceCentre, now: datetime, holidays: set[date]) -> datetime | None:
    """When today's last interval ends, if numbers can be taken now (from the first opening
    to the last closing, lunch breaks included); None when the centre is closed."""
    today = intervals(centre, business_day(centre, now), holidays)
    if not today or not (today[0][0] <= now < today[-1][1]):
        return None
    return today[-1][1]


def next_opening(centre: ServiceCentre, now: datetime, holidays: set[date]) -> datetime | None:
    day = business_day(centre, now)
    for offset in range(0, 15):
        for start, _end in intervals(centre, day + timedelta(days=offset), holidays):
            if start > now:
                return start
    return None
