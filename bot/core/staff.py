"""Who reads a staff message: a queue's staff, in the queue's language and time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

from bot.core.dialogs.common import Services
from bot.core.i18n import Translator
from bot.helpdesk.worktime import Deadlines
from catalog.directory import TIMEZONES

COUNTRY_LANGUAGE = {"BG": "bg", "UA": "uk"}


async def deadlines(services: Services) -> Deadlines:
    """When each queue's requests are overdue, by its office's working hours (read now, used at once)."""
    found = Deadlines(services.reminder_after)
    for queue in await services.desk.queues():
        office = queue.location_id and await services.directory.office(queue.location_id)
        found.hours[queue.id] = office.hours if office else None
        found.zones[queue.id] = TIMEZONES.get(queue.country or "", "Europe/Sofia")
    return found


class Staff:
    """What staff of one queue read: their language, time zone and the queue's name."""

    def __init__(self, services: Services, queue_id: str):
        self.services, self.queue_id = services, queue_id

    async def load(self, lang: str | None = None) -> "Staff":
        """`lang` overrides the queue's language (the web staff view lets staff choose)."""
        info = await self.services.desk.queue(self.queue_id)
        country = (info.country if info else None) or ""
        self._ = Translator(lang or COUNTRY_LANGUAGE.get(country, self.services.default_language))
        self.zone = ZoneInfo(TIMEZONES.get(country, "Europe/Sofia"))
        self.queue_name = info.name if info else {}
        return self

    def when(self, moment: dt.datetime) -> str:
        local = (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(self.zone)
        return f"{self._.date(local.date())}, {self._.time(local.time())}"
