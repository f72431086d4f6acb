"""Working time between two moments, by an office's weekly hours, and when a request is overdue."""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.helpdesk.models import HelpRequest, aware
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


@dataclass(frozen=True)
class Deadlines:
    """When a request is overdue: waiting for its first response longer than `allowed`, in the
    working time of its queue's office (its hours, else USUAL_HOURS; its time zone). The staff
    reminders and the staff views use this one measure."""

    allowed: dt.timedelta
    hours: dict[str, list[Hours] | None] = field(default_factory=dict)  # by queue id
    zones: dict[str, str] = field(default_factory=dict)  # by queue id

    def waited(self, request: HelpRequest, now: dt.datetime) -> dt.timedelta:
        zone = self.zones.get(request.queue_id, "Europe/Sofia")
        return working_time(aware(request.created_at), now, self.hours.get(request.queue_id), zone)

    def overdue(self, request: HelpRequest, now: dt.datetime) -> bool:
        return (
            request.status == "received"
            and request.first_response_at is None
            and self.waited(request, now) >= self.allowed
        )
