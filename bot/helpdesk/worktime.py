"""Working time between two moments, by an office's weekly hours."""

import datetime as dt
from zoneinfo import ZoneInfo

from catalog.directory import Hours
from catalog.vocabulary import WEEKDAYS

# When an office's hours are unknown, reminders count a usual office week.
USUAL_HOURS = [Hours(list(WEEKDAYS[:5]), dt.time(8), dt.time(17))]


def working_time(start: dt.datetime, end: dt.datetime, hours: list[Hours] | None, zone: str) -> dt.timedelta:
    tz = ZoneInfo(zone)
    start, end = start.astimezone(tz), end.astimezone(tz)
    total = dt.timedelta()
    day = start.date()
    while day <= end.date():
        for h in hours or USUAL_HOURS:
            if WEEKDAYS[day.weekday()] in h.days:
                opens = dt.datetime.combine(day, h.opens, tz)
                closes = dt.datetime.combine(day, h.closes, tz)
                overlap = min(closes, end) - max(opens, start)
                if overlap > dt.timedelta():
                    total += overlap
        day += dt.timedelta(days=1)
    return total
