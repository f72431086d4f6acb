"""What the staff workplace shows of requests: a row of the list (number, age, overdue, topic,
the citizen's language and town, who took it, status) and a request's detail (its conversation
and private notes, ready answers, the queues it can go to, its audit trail). Everything is in
the staff member's language; only a ready answer is in the citizen's, since it is sent to them."""

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import staffdesk
from bot.core.dialogs.common import Services
from bot.core.i18n import Translator
from bot.core.staff import deadlines
from bot.helpdesk.desk import OPEN, Summary
from bot.helpdesk.models import HelpRequest, RequestEvent, aware
from bot.helpdesk.worktime import Deadlines
from catalog.texts import pick

# The list's views: which statuses each shows ("mine": the open ones the staff member took).
VIEWS: dict[str, tuple[str, ...]] = {
    "open": OPEN,
    "mine": OPEN,
    "closed": ("closed",),
    "all": (*OPEN, "closed"),
}
SORTS = ("oldest", "newest")
CANNED_LABEL = 70  # characters of a ready answer shown in its menu
EXCERPT = 90  # characters of the citizen's first message shown in the list


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
    """Now, and when each queue's requests are overdue (the reminders' measure), read once per answer."""

    now: dt.datetime
    deadlines: Deadlines

    @classmethod
    async def read(cls, services: Services) -> "Clocks":
        return cls(services.now(), await deadlines(services))

    def waited(self, request: HelpRequest) -> dt.timedelta:
        return self.deadlines.waited(request, self.now)

    def overdue(self, request: HelpRequest) -> bool:
        return self.deadlines.overdue(request, self.now)

    def when(self, request: HelpRequest, moment: dt.datetime, _: Translator) -> str:
        local = aware(moment).astimezone(ZoneInfo(self.deadlines.zones.get(request.queue_id, "Europe/Sofia")))
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


async def row(
    services: Services, request: HelpRequest, _: Translator, clocks: Clocks, summary: Summary | None = None
) -> dict[str, Any]:
    """A request as a row of the list; with its `summary`: the citizen's first words (what it is
    about) and whether they wrote again after an answer."""
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
        "words": shortened(summary.words) if summary and summary.words else None,
        "follow_up": bool(summary and summary.follow_up) and not closed,
        "language": staffdesk.language_name(_, request.language),
        "town": staffdesk.town_name(services, request.town, _.lang) if request.town else None,
        "created": clocks.when(request, request.created_at, _),
        "age": "" if closed else age(_, request, clocks.waited(request), clocks.now),
        "closed": clocks.when(request, request.closed_at, _) if closed and request.closed_at else None,
        "overdue": clocks.overdue(request),
        # who took it: a name, or "a colleague" for one taken where no name is known
        "taken_by": (request.taken_by or _("a colleague")) if request.taken_at is not None and not closed else None,
    }


async def detail(
    services: Services, request: HelpRequest, _: Translator, clocks: Clocks, staffed: set[str]
) -> dict[str, Any]:
    """A request with its conversation, notes, ready answers and the queues it can be sent to
    (`staffed`: those someone works in)."""
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
    closed = request.status == "closed"
    return {
        **await row(services, request, _, clocks),
        "can_release": request.taken_at is not None and not closed,
        "can_transfer": not closed,
        "can_reopen": closed and request.erased_at is None,
        "phone": request.phone,
        "unreachable": request.citizen_unreachable,
        "location": [request.latitude, request.longitude] if request.latitude is not None else None,
        "messages": [
            {"author": m.author, "text": m.text, "when": clocks.when(request, m.created_at, _)}  # None: erased
            for m in await services.desk.messages(request.id)
        ],
        "canned": canned,
        "queues": [
            {"id": q.id, "name": pick(q.name, _.lang) or q.id, "staffed": q.id in staffed}
            for q in await services.desk.queues()
            if q.id != request.queue_id
        ],
        "events": [await event(services, request, e, _, clocks) for e in await services.desk.events(request.id)],
    }


async def event(
    services: Services, request: HelpRequest, happened: RequestEvent, _: Translator, clocks: Clocks
) -> dict[str, Any]:
    """One line of the audit trail: when, who (a staff member's name; none for the citizen and
    Opora), what (a transfer says from which queue to which)."""
    what = staffdesk.action_label(_, happened)
    if happened.action == "transferred" and happened.detail and ">" in happened.detail:
        source, target = happened.detail.split(">", 1)
        what += f": {await queue_name(services, source, _)} → {await queue_name(services, target, _)}"
    return {"when": clocks.when(request, happened.at, _), "by": happened.by, "what": what}


def shortened(text: str, limit: int = EXCERPT) -> str:
    """The first words of a text, on one line, cut at a word."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0] + "…"
