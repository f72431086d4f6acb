"""Talk to staff: topic → office → the need in words → an optional phone → consent → a request.

The request is stored (with its card queued for staff) before the person is told its number.
The steps and their buttons are drawn in handoff.mmd, next to this file."""

import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

from bot.core import staffdesk
from bot.core.dialogs.common import StaleButton, Turn, nav, screen
from bot.core.events import Button, Reply, Text, rows
from bot.core.flows import Flow, HandoffDraft, Recent
from bot.core.payloads import ANY, AddToRequest, Handoff, HandoffStep
from bot.helpdesk.desk import MAX_ID, Closed, Draft, NotFound
from catalog.texts import pick
from catalog.vocabulary import WEEKDAYS

OTHER = ANY  # the topic "another question"
MAX_TEXT = 3000
PHONE = re.compile(r"^\+?[\d\s\-()]{7,20}$")


def _draft(turn: Turn) -> HandoffDraft:
    draft = turn.state.data.get("handoff")
    if not isinstance(draft, dict):
        return _new_draft(turn)
    if "sent" not in draft:
        draft.setdefault("at", turn.services.now().isoformat())
    return draft


def remember(turn: Turn, services: list[str], offices: list[str]) -> None:
    """What the person was just shown: it preselects the topic and the office of a request."""
    turn.state.data["recent"] = Recent(services=services[:3], offices=offices[:3])


def _recent(turn: Turn, kind: Literal["services", "offices"]) -> list[str]:
    recent = turn.state.data.get("recent")
    return list(recent.get(kind, [])) if isinstance(recent, dict) else []


def _new_draft(turn: Turn, topic: str | None = None) -> HandoffDraft:
    """A draft has an id (the request made from it is found by it, so it is made once) and the
    moment it was begun (it expires after a day unsent, bot/core/state.py)."""
    draft = turn.state.data["handoff"] = HandoffDraft(id=uuid.uuid4().hex, at=turn.services.now().isoformat())
    if topic is not None:
        draft["topic"] = topic
    return draft


def _key(turn: Turn, draft: HandoffDraft) -> str:
    """The draft's id; a draft begun before drafts had one gets one from what it holds."""
    if draft.get("id"):
        return str(draft["id"])[:64]
    user = turn.event.user
    made = "\n".join(
        map(
            str,
            (
                user.channel,
                user.id,
                draft.get("queue"),
                draft.get("topic"),
                draft.get("text"),
                draft.get("phone"),
                draft.get("location"),
            ),
        )
    )
    return hashlib.sha256(made.encode()).hexdigest()


async def start(turn: Turn, value: str = "") -> list[Reply]:
    _ = turn._
    _new_draft(turn)
    turn.state.flow = None
    recent = _recent(turn, "services")
    buttons = []
    for service_id in recent:
        if card := await turn.services.directory.card(service_id):
            buttons.append(Button(pick(card.name, _.lang) or service_id, Handoff("topic", service_id).pack()))
    buttons.append(Button(_("Another question"), Handoff("topic", OTHER).pack()))
    return [
        screen(
            turn, _("I will pass your question to a social worker, who will answer here. What is it about?"), buttons
        )
    ]


async def topic(turn: Turn, service_id: str) -> list[Reply]:
    if service_id != OTHER and (await turn.services.directory.card(service_id)) is None:
        raise StaleButton(service_id)
    draft = _new_draft(turn, topic=service_id)
    offices = _recent(turn, "offices")
    queue = await turn.services.desk.queue_for(None if service_id == OTHER else service_id, offices)
    if queue is None:
        return await queues(turn)
    draft["queue"] = queue
    _ = turn._
    info = await turn.services.desk.queue(queue)
    return [
        screen(
            turn,
            _("Your request will go to: %(office)s.", office=(pick(info.name, _.lang) if info else None) or queue),
            [
                Button(_("✔ Continue"), Handoff("q", queue).pack()),
                Button(_("Choose another office"), Handoff("queues").pack()),
            ],
            back=Handoff().pack(),
        )
    ]


async def queues(turn: Turn, value: str = "") -> list[Reply]:
    _ = turn._
    _draft(turn).setdefault("topic", OTHER)
    found = await turn.services.desk.queues()
    buttons = [Button(pick(q.name, _.lang) or q.id, Handoff("q", q.id).pack()) for q in found]
    return [screen(turn, _("Which municipality or community should answer you?"), buttons, back=Handoff().pack())]


async def queue(turn: Turn, queue_id: str) -> list[Reply]:
    if await turn.services.desk.queue(queue_id) is None:
        raise StaleButton(queue_id)
    _draft(turn)["queue"] = queue_id
    turn.state.flow = Flow.HANDOFF_TEXT
    _ = turn._
    return [
        Text(
            _("Describe in one message what you need. You can also send your location."),
            request="location",
            request_label=_("📍 Add my location"),
        ),
        Text(_("Write your message below."), rows((Button(_("✖ Cancel"), Handoff("cancel").pack()),), nav(turn))),
    ]


async def described(turn: Turn, text: str) -> list[Reply]:
    _draft(turn)["text"] = text[:MAX_TEXT]
    turn.state.flow = Flow.HANDOFF_PHONE
    _ = turn._
    return [
        Text(
            _("Should staff call you? Share your phone number with the button, or skip."),
            request="contact",
            request_label=_("📞 Share my phone number"),
        ),
        Text(
            _("You can also skip this."),
            rows(
                (Button(_("Skip ➡"), Handoff("phone", "skip").pack()),),
                (Button(_("✖ Cancel"), Handoff("cancel").pack()),),
            ),
        ),
    ]


async def located(turn: Turn, point: tuple[float, float]) -> list[Reply]:
    _draft(turn)["location"] = list(point)
    return (
        [Text(turn._("Location added. Now write your message."))]
        if turn.state.flow == Flow.HANDOFF_TEXT
        else await consent(turn)
    )


async def phone(turn: Turn, value: str) -> list[Reply]:
    if value != "skip" or "text" not in _draft(turn):
        raise StaleButton(value)
    return await consent(turn)


async def typed_phone(turn: Turn, text: str) -> list[Reply] | None:
    """A phone number written while the request asks for one; None for any other text."""
    return await shared_phone(turn, text) if PHONE.match(text) else None


async def shared_phone(turn: Turn, number: str) -> list[Reply]:
    _draft(turn)["phone"] = number[:40]
    return await consent(turn)


async def consent(turn: Turn) -> list[Reply]:
    _ = turn._
    draft = _draft(turn)
    turn.state.flow = None
    info = await turn.services.desk.queue(draft["queue"])
    shared = (
        [_("your message")]
        + ([_("your phone number")] if draft.get("phone") else [])
        + ([_("your location")] if draft.get("location") else [])
    )
    text = " ".join(
        (
            _(
                "Staff of %(office)s will see %(what)s.",
                office=(pick(info.name, _.lang) if info else None) or draft["queue"],
                what=", ".join(shared),
            ),
            _.plural(
                "Opora keeps them for %(n)d day after your request is closed, then deletes them.",
                "Opora keeps them for %(n)d days after your request is closed, then deletes them.",
                turn.services.retention_days,
            ),
            _("/forget deletes them at any time. Do you agree?"),
        )
    )
    return [
        Text(
            f"«{draft['text']}»\n\n{text}",
            rows(
                (Button(_("✅ I agree, send"), Handoff("send").pack()),),
                (Button(_("✖ Cancel"), Handoff("cancel").pack()),),
            ),
        )
    ]


async def send(turn: Turn, value: str = "") -> list[Reply]:
    draft = _draft(turn)
    if "sent" in draft:  # pressed twice, or delivered again because the confirmation did not arrive
        return await _received(turn, draft["sent"], draft["queue"])
    if "text" not in draft or "queue" not in draft:
        raise StaleButton("send")
    user = turn.event.user
    if not await turn.services.limits.allow("requests", f"{user.channel}:{user.id}"):
        turn.services.metrics.limited.labels(user.channel, "requests").inc()
        _ = turn._
        return [
            Text(
                _(
                    "You have sent several requests in a short time. Please wait a while before sending "
                    "another; your earlier requests have reached staff, and /myrequests shows them."
                ),
                rows((Button(_("✅ I agree, send"), Handoff("send").pack()),), nav(turn)),
            )
        ]
    service_id = None if draft.get("topic", OTHER) == OTHER else draft["topic"]
    topic = await turn.services.directory.card(service_id) if service_id else None  # read before the write
    request = await turn.services.desk.create(
        Draft(
            channel=user.channel,
            user_id=user.id,
            language=turn._.lang,
            queue_id=draft["queue"],
            service_id=service_id,
            text=draft["text"],
            phone=draft.get("phone"),
            location=(draft["location"][0], draft["location"][1]) if draft.get("location") else None,
            key=_key(turn, draft),
        ),
        card=lambda request, text: staffdesk.card(turn.services, request, text, topic=topic),
    )
    turn.state.data["handoff"] = HandoffDraft(sent=request.id, queue=draft["queue"])
    return await _received(turn, request.id, draft["queue"])


async def _received(turn: Turn, request_id: int, queue_id: str) -> list[Reply]:
    _ = turn._
    lines = [_("Your request No. %(n)d has been received. A social worker will answer you here.", n=request_id)]
    if opening := await _closed_until(turn, queue_id):
        lines.append(_("The office is closed now. It opens %(when)s.", when=opening))
    return [Text("\n".join(lines), rows((Button(_("✉ Add a message"), AddToRequest(request_id).pack()),), nav(turn)))]


async def _closed_until(turn: Turn, queue_id: str) -> str | None:
    info = await turn.services.desk.queue(queue_id)
    office = info and info.location_id and await turn.services.directory.office(info.location_id)
    now = turn.services.now()
    if not office or office.open_at(now) in (True, None):
        return None
    opening = office.next_opening(now)
    if opening is None:
        return None
    _ = turn._
    return f"{_.weekday(WEEKDAYS[opening.weekday()], 'wide')} {_.time(opening.time())}"


async def cancel(turn: Turn, value: str = "") -> list[Reply]:
    turn.state.data.pop("handoff", None)
    turn.state.flow = None
    return [Text(turn._("Cancelled. Nothing was sent."), rows(nav(turn)))]


async def add(turn: Turn, pressed: AddToRequest) -> list[Reply]:
    turn.state.flow = Flow.REQUEST
    turn.state.data["request"] = pressed.request
    return [
        Text(
            turn._("Write your message for request No. %(n)d.", n=pressed.request),
            rows((Button(turn._("✖ Cancel"), Handoff("cancel").pack()),)),
        )
    ]


async def added(turn: Turn, text: str) -> list[Reply]:
    """The message written for a request (`add`)."""
    _ = turn._
    turn.state.flow = None
    request_id = turn.state.data.pop("request", None)
    if not isinstance(request_id, int) or not 0 < request_id <= MAX_ID:  # a state saved by an earlier version
        raise StaleButton(str(request_id))
    user = turn.event.user
    if not await turn.services.limits.allow("messages", f"{user.channel}:{user.id}"):
        turn.services.metrics.limited.labels(user.channel, "messages").inc()
        return [
            Text(
                _("You have written a lot to staff in a short time. Please wait a while, then write again."),
                rows(nav(turn)),
            )
        ]
    try:
        await turn.services.desk.add_from_citizen(
            request_id,
            user.channel,
            user.id,
            text[:MAX_TEXT],
            relay=lambda request: staffdesk.citizen_message(turn.services, request, text[:MAX_TEXT]),
        )
    except NotFound:
        raise StaleButton(str(request_id)) from None
    except Closed:
        return [
            screen(
                turn,
                _("Request No. %(n)d is closed. You can start a new one.", n=request_id),
                [Button(_("👤 Talk to staff"), Handoff().pack())],
            )
        ]
    return [Text(_("Added to request No. %(n)d.", n=request_id), rows(nav(turn)))]


async def mine(turn: Turn, value: str = "") -> list[Reply]:
    _ = turn._
    user = turn.event.user
    requests = await turn.services.desk.requests_of(user.channel, user.id)
    if not requests:
        return [screen(turn, _("You have no requests."), [Button(_("👤 Talk to staff"), Handoff().pack())])]
    lines, buttons = [], []
    for r in requests:
        lines.append(
            _(
                "No. %(n)d, %(date)s: %(status)s",
                n=r.id,
                date=_.date(r.created_at.date()),
                status=_(staffdesk.STATUS[r.status]),
            )
        )
        if r.status != "closed":
            buttons.append(Button(_("✉ Add to No. %(n)d", n=r.id), AddToRequest(r.id).pack()))
    return [screen(turn, "\n".join(lines), buttons)]


Step = Callable[[Turn, str], Awaitable[list[Reply]]]
STEPS: dict[HandoffStep, Step] = {
    "": start,
    "topic": topic,
    "queues": queues,
    "q": queue,
    "phone": phone,
    "send": send,
    "cancel": cancel,
    "mine": mine,
}


async def handoff(turn: Turn, pressed: Handoff | None = None) -> list[Reply]:
    """A button of this dialog: its step, given what the draft holds."""
    step, value = (pressed.step, pressed.value) if pressed else ("", "")
    draft = _draft(turn)
    lost = step in ("q", "phone", "send") and "topic" not in draft  # the draft these steps go on is gone
    if lost and not (step == "send" and "sent" in draft):
        return await start(turn)  # an old request's button: begin again rather than guess
    return await STEPS[step](turn, value)
