"""What the staff workplace shows of requests: a row of the list (number, age, overdue, topic,
the citizen's language and town, who took it, status) and a request's detail (its conversation
and private notes, ready answers, the queues it can go to, its audit trail). Everything is in
the staff member's language; only a ready answer is in the citizen's, since it is sent to them."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import staffdesk
from bot.core.dialogs.common import Services
from bot.core.i18n import Translator
from bot.helpdesk.desk import OPEN
from bot.helpdesk.models import HelpRequest, aware
from bot.helpdesk.worktime import working_time
from catalog.directory import TIMEZONES, Hours
from catalog.texts import pick
from catalog.vocabulary import N_

# The citizen's language, named in the staff member's.
LANGUAGES = {"bg": N_("Bulgarian"), "uk": N_("Ukrainian")}
# The list's views: which statuses each shows ("mine": the open ones the staff member took).
VIEWS: dict[str, tuple[str, ...]] = {
    "open": OPEN,
    "mine": OPEN,
    "closed": ("closed",),
    "all": (*OPEN, "closed"),
}
SORTS = ("oldest", "newest")
CANNED_LABEL = 70  # characters of a ready answer shown in its menu


@dataclass
class Me:
    """The staff member at the browser: the web staff chat they act through, their name (None
    when the view is opened with the shared token), the language they read and their queues."""

    chat: str
    name: str | None
    language: str
    queues: tuple[str, ...]


@dataclass
class Clocks:
    """The working hours and time zone of each queue's office, read once per answer."""

    services: Services
    now: dt.datetime
    reminder_after: dt.timedelta
    _known: dict[str, tuple[list[Hours] | None, str]] = field(default_factory=dict)

    async def of(self, queue_id: str) -> tuple[list[Hours] | None, str]:
        if queue_id not in self._known:
            info = await self.services.desk.queue(queue_id)
            office = info and info.location_id and await self.services.directory.office(info.location_id)
            zone = TIMEZONES.get((info.country if info else None) or "", "Europe/Sofia")
            self._known[queue_id] = (office.hours if office else None, zone)
        return self._known[queue_id]

    async def waited(self, request: HelpRequest) -> dt.timedelta:
        """Working time since the request came, by its office's hours (as reminders count it)."""
        hours, zone = await self.of(request.queue_id)
        return working_time(aware(request.created_at), self.now, hours, zone)

    async def overdue(self, request: HelpRequest) -> bool:
        """Unanswered for longer than staff are reminded after."""
        return request.status == "received" and await self.waited(request) >= self.reminder_after

    async def when(self, request: HelpRequest, moment: dt.datetime, _: Translator) -> str:
        zone = ZoneInfo((await self.of(request.queue_id))[1])
        local = aware(moment).astimezone(zone)
        return f"{_.date(local.date())}, {_.time(local.time())}"


def age(_: Translator, request: HelpRequest, waited: dt.timedelta, now: dt.datetime) -> str:
    """How long the request has been open: whole days once a day has passed, else the working
    hours it waited, else the minutes (or hours outside working time) since it came."""
    since = now - aware(request.created_at)
    if since >= dt.timedelta(days=1):
        return _.plural("%(n)d day", "%(n)d days", since.days)
    if waited >= dt.timedelta(hours=1):
        return _.plural("%(n)d working hour", "%(n)d working hours", int(waited.total_seconds() // 3600))
    if since >= dt.timedelta(hours=1):
        return _.plural("%(n)d hour", "%(n)d hours", int(since.total_seconds() // 3600))
    return _.plural("%(n)d minute", "%(n)d minutes", max(0, int(since.total_seconds() // 60)))


async def queue_name(services: Services, queue_id: str, _: Translator) -> str:
    info = await services.desk.queue(queue_id)
    return (pick(info.name, _.lang) if info else None) or queue_id


async def row(services: Services, request: HelpRequest, _: Translator, clocks: Clocks) -> dict[str, Any]:
    """A request as a row of the list."""
    topic = _("Other question")
    if request.service_id and (found := await services.directory.card(request.service_id)):
        topic = pick(found.name, _.lang) or request.service_id
    closed = request.status == "closed"
    return {
        "id": request.id,
        "queue": request.queue_id,
        "queue_name": await queue_name(services, request.queue_id, _),
        "status": request.status,
        "status_label": _(staffdesk.STATUS[request.status]),
        "topic": topic,
        "language": _(LANGUAGES[request.language]) if request.language in LANGUAGES else request.language,
        "created": await clocks.when(request, request.created_at, _),
        "age": "" if closed else age(_, request, await clocks.waited(request), clocks.now),
        "closed": await clocks.when(request, request.closed_at, _) if closed and request.closed_at else None,
        "overdue": await clocks.overdue(request),
    }


async def detail(services: Services, request: HelpRequest, _: Translator, clocks: Clocks) -> dict[str, Any]:
    """A request with its conversation, notes, ready answers and the queues it can be sent to."""
    info = await services.desk.queue(request.queue_id)
    canned = []
    for texts in info.canned if info else []:
        label = pick(texts, _.lang) or ""
        canned.append(
            {
                "label": label if len(label) <= CANNED_LABEL else label[: CANNED_LABEL - 1] + "…",
                "text": pick(texts, request.language) or "",  # sent to the citizen: in their language
            }
        )
    return {
        **await row(services, request, _, clocks),
        "phone": request.phone,
        "unreachable": request.citizen_unreachable,
        "location": [request.latitude, request.longitude] if request.latitude is not None else None,
        "messages": [
            {"author": m.author, "text": m.text or "", "when": await clocks.when(request, m.created_at, _)}
            for m in await services.desk.messages(request.id)
        ],
        "canned": canned,
        "queues": [
            {"id": q.id, "name": pick(q.name, _.lang) or q.id}
            for q in await services.desk.queues()
            if q.id != request.queue_id
        ],
    }
