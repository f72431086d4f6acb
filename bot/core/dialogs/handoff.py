"""Talk to staff: topic → office → the need in words → an optional phone → consent → a request.

The request is stored (with its card queued for staff) before the person is told its number.
The steps and their buttons are drawn in handoff.mmd, next to this file."""

import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Literal

from babel.lists import format_list

from bot.core import staffdesk
from bot.core.dialogs.common import StaleButton, Turn, nav, screen
from bot.core.events import Button, Reply, Text, rows
from bot.core.flows import Flow, HandoffDraft, Recent
from bot.core.payloads import ANY, AddToRequest, Handoff, HandoffStep, NewQuestion
from bot.core.staff import COUNTRY_LANGUAGE
from bot.helpdesk.desk import MAX_ID, Closed, Draft, NotFound
from catalog.directory import ServiceCard
from catalog.search.normalize import MAX_QUESTION
from catalog.texts import pick
from catalog.vocabulary import WEEKDAYS

OTHER = ANY  # the topic "another question"
MAX_TEXT = 3000
PHONE = re.compile(r"^\+?[\d\s\-()]{7,20}$")
DIGITS = re.compile(r"\d")
TOWN_KM = 15.0  # an office this near a town's centre is the town's (a city's district office included)
MANY = 1000  # offices looked through, nearest first, for a town's office
MIN_DIGITS = 7  # a local number without its code is shorter than any number staff can call back


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
    """What is it about: the services just shown, each with its town (two services may share a
    name), those in the person's town first; or the need typed at once, which is their message."""
    _ = turn._
    _new_draft(turn)
    turn.state.flow = Flow.HANDOFF_TOPIC
    directory = turn.services.directory
    cards = [card for service_id in _recent(turn, "services") if (card := await directory.card(service_id))]
    towns = await _towns(turn, cards)
    here = await _services_in_known_town(turn)
    cards.sort(key=lambda card: card.id not in here)
    buttons = []
    for card in cards:
        name = pick(card.name, _.lang) or card.id
        label = _("%(service)s, %(town)s", service=name, town=towns[card.id]) if card.id in towns else name
        buttons.append(Button(label, Handoff("topic", card.id).pack()))
    buttons.append(Button(_("Another question"), Handoff("topic", OTHER).pack()))
    return [
        screen(
            turn,
            _(
                "I will pass your question to a social worker, who will answer here. What is it about? "
                "Choose below, or describe your need in one message."
            ),
            buttons,
        )
    ]


async def _services_in_known_town(turn: Turn) -> set[str]:
    """The services in the town the conversation knows the person is in; none when it knows none."""
    place = turn.state.data.get("place")
    if not isinstance(place, str) or not place:
        return set()
    return await turn.services.directory.service_ids(place)


async def _towns(turn: Turn, cards: list[ServiceCard]) -> dict[str, str]:
    """The town of each service: of the office just shown, else of its first office, else the
    town it is in (a service without offices, e.g. one the municipality runs); the person's
    own town first, when the service is there too."""
    _ = turn._
    recent_offices = _recent(turn, "offices")
    towns: dict[str, str] = {}
    for card in cards:
        shown = [o for o in card.offices if o.id in recent_offices] or card.offices
        if shown and (town := pick(shown[0].city, _.lang)):
            towns[card.id] = town
    missing = {card.id for card in cards} - towns.keys()
    known = turn.state.data.get("place")
    for service_id, places in (await turn.services.directory.towns_of(missing)).items():
        place = next((p for p in places if p.id == known), places[0] if places else None)
        if place and (name := pick(place.name, _.lang)):
            towns[service_id] = name
    return towns


async def topic(turn: Turn, service_id: str, text: str | None = None) -> list[Reply]:
    """A topic chosen (`text`: the need, typed at the topic step): its office, to confirm."""
    if service_id != OTHER and (await turn.services.directory.card(service_id)) is None:
        raise StaleButton(service_id)
    draft = _new_draft(turn, topic=service_id)
    if text:
        draft["text"] = text
    turn.state.flow = Flow.HANDOFF_TOPIC
    offices = _recent(turn, "offices")
    if service_id != OTHER and (card := await turn.services.directory.card(service_id)):
        # only the chosen service's offices: another town's office just shown is not its office
        offices = [office for office in offices if office in {o.id for o in card.offices}]
    queue = await turn.services.desk.queue_for(None if service_id == OTHER else service_id, offices)
    if queue is None and text:
        queue = await _queue_in_town(turn, text)
    if queue is None:
        return await queues(turn)
    draft["queue"] = queue
    return await _office(turn, queue)


async def _town_only(turn: Turn, text: str) -> list[Reply] | None:
    """A message that only says where ("Самоков"): not the need, but the town whose office is
    to answer; it is remembered as the person's town. None for any other message."""
    found = turn.services.answers.ask(text[:MAX_QUESTION], lang=turn._.lang, top=1)
    here = [p for p in found.places if p not in found.origins] or found.places
    if found.intent != "place" or not here or found.elsewhere:
        return None
    turn.state.data["place"] = here[0]
    queue = await _queue_of_town(turn, here[0])
    if queue is None:
        return await queues(turn)
    _draft(turn).setdefault("topic", OTHER)
    _draft(turn)["queue"] = queue
    return await _office(turn, queue)


async def _queue_of_town(turn: Turn, place_id: str) -> str | None:
    """The queue whose office is in the town (within TOWN_KM of its centre), else the queue of
    an office there, else the queue of the town's services."""
    directory, desk = turn.services.directory, turn.services.desk
    town = await directory.place(place_id)
    if town and town.latitude is not None and town.longitude is not None:
        near = await directory.nearest(town.latitude, town.longitude, limit=MANY)
        here = [o for o in near if o.distance_km is not None and o.distance_km <= TOWN_KM]
        offices = {info.location_id: info.id for info in await desk.queues() if info.location_id}
        if found := next((offices[o.id] for o in here if o.id in offices), None):
            return found
        if served := next((o for o in here if o.services), None):
            return await desk.queue_for(served.services[0].id, [served.id])
    in_town = await directory.services(None, place_id)
    return await desk.queue_for(in_town[0].id) if in_town else None


async def _queue_in_town(turn: Turn, text: str) -> str | None:
    """The office for a need typed at the topic step, in the town it names or the person's known
    town (the conversation remembers it); None when no town is known: the person chooses."""
    place = turn.state.data.get("place")
    found = turn.services.answers.ask(
        text[:MAX_QUESTION], lang=turn._.lang, top=1, city=place if isinstance(place, str) else None
    )
    if not found.places or found.elsewhere or not found.results:
        return None
    best = found.results[0]
    return await turn.services.desk.queue_for(best.service_id, [at.location_id for at in best.locations])


async def _office(turn: Turn, queue: str) -> list[Reply]:
    """The office the request will go to, to confirm or change."""
    _ = turn._
    info = await turn.services.desk.queue(queue)
    going = _("Your request will go to: %(office)s.", office=(pick(info.name, _.lang) if info else None) or queue)
    return [
        screen(
            turn,
            _kept(turn, going),
            [
                Button(_("✔ Continue"), Handoff("q", queue).pack()),
                Button(_("Choose another office"), Handoff("queues").pack()),
            ],
            back=Handoff().pack(),
        )
    ]


async def typed_topic(turn: Turn, text: str) -> list[Reply]:
    """The need typed at the topic step (or at the office step): it is the request's message,
    and it is not asked for again. The office is then chosen or confirmed."""
    draft = _draft(turn)
    if draft.get("topic", OTHER) == OTHER and (town := await _town_only(turn, text)) is not None:
        return town
    if "topic" not in draft:  # the topics were shown: it is "another question"
        return await topic(turn, OTHER, text[:MAX_TEXT])
    draft["text"] = text[:MAX_TEXT]
    if "queue" in draft:  # the office was shown: typing goes on as "✔ Continue"
        return await queue(turn, draft["queue"])
    return await queues(turn)  # the list of offices was shown: it stays


async def queues(turn: Turn, value: str = "") -> list[Reply]:
    _ = turn._
    draft = _draft(turn)
    draft.setdefault("topic", OTHER)
    draft.pop("queue", None)
    turn.state.flow = Flow.HANDOFF_TOPIC
    found = await turn.services.desk.queues()
    buttons = [Button(pick(q.name, _.lang) or q.id, Handoff("q", q.id).pack()) for q in found]
    which = _kept(turn, _("Which municipality or community should answer you?"))
    return [screen(turn, which, buttons, back=Handoff().pack())]


def _kept(turn: Turn, text: str) -> str:
    """A screen's text, after "I will pass this on" when the need was typed already."""
    if not _draft(turn).get("text"):
        return text
    return turn._("Thank you, I will pass this on.") + " " + text


async def queue(turn: Turn, queue_id: str) -> list[Reply]:
    if await turn.services.desk.queue(queue_id) is None:
        raise StaleButton(queue_id)
    draft = _draft(turn)
    draft["queue"] = queue_id
    if draft.get("text"):  # typed at the topic step: not asked again
        return await _ask_phone(turn)
    turn.state.flow = Flow.HANDOFF_TEXT
    _ = turn._
    return [
        Text(
            _("Describe in one message what you need. You can also send your location."),
            rows((Button(_("✖ Cancel"), Handoff("cancel").pack()),), nav(turn)),
            request="location",
            request_label=_("📍 Add my location"),
        )
    ]


async def described(turn: Turn, text: str) -> list[Reply]:
    _draft(turn)["text"] = text[:MAX_TEXT]
    return await _ask_phone(turn)


def _typed_phone_only(turn: Turn) -> bool:
    """Whether the person's channel has no button that shares their number (the web chat)."""
    return turn.event.user.channel in turn.services.no_phone_button_channels


async def _ask_phone(turn: Turn) -> list[Reply]:
    turn.state.flow = Flow.HANDOFF_PHONE
    _ = turn._
    skip = rows(
        (Button(_("Skip ➡"), Handoff("phone", "skip").pack()),),
        (Button(_("✖ Cancel"), Handoff("cancel").pack()),),
    )
    if _typed_phone_only(turn):
        return [Text(_("Should staff call you? Type your phone number here, or skip."), skip)]
    return [
        Text(
            _("Should staff call you? Share your phone number with the button, or skip."),
            skip,
            request="contact",
            request_label=_("📞 Share my phone number"),
        )
    ]


async def located(turn: Turn, point: tuple[float, float]) -> list[Reply]:
    draft = _draft(turn)
    draft["location"] = list(point)
    if turn.state.flow == Flow.HANDOFF_TOPIC:
        return [Text(turn._("Location added. Now choose what it is about, or write your message."))]
    if turn.state.flow == Flow.HANDOFF_TEXT or "text" not in draft:
        return [Text(turn._("Location added. Now write your message."))]
    return await consent(turn)


async def phone(turn: Turn, value: str) -> list[Reply]:
    """skip: no phone; change: the number shown back is wrong, type (or share) it again."""
    draft = _draft(turn)
    if value not in ("skip", "change") or "text" not in draft or "queue" not in draft:
        raise StaleButton(value)
    if value == "change":
        draft.pop("phone", None)
        return await _ask_phone(turn)
    return await consent(turn)


async def typed_phone(turn: Turn, text: str) -> list[Reply] | None:
    """A phone number written while the request asks for one; None for any other text. Where
    typing is the only way to give it, digits that are no phone number are asked for again."""
    if PHONE.match(text) and len(DIGITS.findall(text)) >= MIN_DIGITS:
        return await shared_phone(turn, text)
    if _typed_phone_only(turn) and _mostly_digits(text):
        _ = turn._
        return [
            Text(
                _("That does not look like a phone number. Type the whole number, with its code, or skip."),
                rows(
                    (Button(_("Skip ➡"), Handoff("phone", "skip").pack()),),
                    (Button(_("✖ Cancel"), Handoff("cancel").pack()),),
                ),
            )
        ]
    return None


def _mostly_digits(text: str) -> bool:
    """Meant as a number: digits, with at most a few other signs ("0888 12", "+359 88 12 34 5x")."""
    signs = [c for c in text if not c.isspace()]
    return len(DIGITS.findall(text)) >= 3 and len(DIGITS.findall(text)) >= 0.7 * len(signs)


async def shared_phone(turn: Turn, number: str) -> list[Reply]:
    _draft(turn)["phone"] = number[:40]
    return await consent(turn)


async def consent(turn: Turn) -> list[Reply]:
    _ = turn._
    draft = _draft(turn)
    turn.state.flow = Flow.HANDOFF_PHONE  # a number typed now replaces the one shown back
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
                what=format_list(shared, locale=_.lang),
            ),
            _.plural(
                "Opora keeps them for %(n)d day after your request is closed, then deletes them.",
                "Opora keeps them for %(n)d days after your request is closed, then deletes them.",
                turn.services.retention_days,
            ),
            _("/forget deletes them at any time. Do you agree?"),
        )
    )
    quoted = _("“%(text)s”", text=draft["text"])
    if number := draft.get("phone"):  # shown back, to be checked
        quoted += "\n📞 " + _("Your phone number: %(phone)s", phone=number)
    return [
        Text(
            f"{quoted}\n\n{text}",
            rows(
                (Button(_("✅ I agree, send"), Handoff("send").pack()),),
                *([(Button(_("✏ Change the number"), Handoff("phone", "change").pack()),)] if number else []),
                (Button(_("✖ Cancel"), Handoff("cancel").pack()),),
            ),
        )
    ]


async def send(turn: Turn, value: str = "") -> list[Reply]:
    draft = _draft(turn)
    if "sent" in draft:  # pressed twice, or delivered again because the confirmation did not arrive
        user = turn.event.user
        made = await turn.services.desk.request_of(user.channel, user.id, draft["sent"])
        if made is None or made.status == "closed":  # an old button of a request closed since
            return [_closed(turn, draft["sent"])]
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
            town=turn.state.data.get("place") or _town_in(turn, draft["text"]),
        ),
        card=lambda request, text, lang: staffdesk.card(turn.services, request, text, lang, topic=topic),
    )
    turn.state.data["handoff"] = HandoffDraft(sent=request.id, queue=draft["queue"])
    turn.state.data["asked"] = True
    turn.state.flow = None
    return await _received(turn, request.id, draft["queue"])


def _town_in(turn: Turn, text: str) -> str | None:
    """The town a request's words name ("… lives alone in Kazanlak"), where it is not from; None when none."""
    found = turn.services.answers.ask(text[:MAX_QUESTION], lang=turn._.lang, top=1)
    return next((p for p in found.places if p not in found.origins), None)


async def _received(turn: Turn, request_id: int, queue_id: str) -> list[Reply]:
    _ = turn._
    lines = [
        _("Your request No. %(n)d has been received. A social worker will answer you here.", n=request_id),
        await _when_answered(turn, queue_id),
    ]
    info = await turn.services.desk.queue(queue_id)
    if info and COUNTRY_LANGUAGE.get(info.country or "") == "bg" and _.lang != "bg":
        lines.append(_("This is a Bulgarian office: staff may answer in Bulgarian."))
    return [Text("\n".join(lines), rows((Button(_("✉ Add a message"), AddToRequest(request_id).pack()),), nav(turn)))]


async def _when_answered(turn: Turn, queue_id: str) -> str:
    """When to expect an answer, from the office's working hours; when they are unknown (or
    possibly out of date), only that staff answer on working days."""
    _ = turn._
    info = await turn.services.desk.queue(queue_id)
    office = info and info.location_id and await turn.services.directory.office(info.location_id)
    now = turn.services.now()
    is_open = office.open_at(now) if office else None
    if office and is_open and (closes := office.closes_at(now)) is not None:
        return _("The office is open now, until %(time)s: staff answer during working hours.", time=_.time(closes))
    opening = office.next_opening(now) if office and is_open is False else None
    if opening is not None:
        when = f"{_.weekday(WEEKDAYS[opening.weekday()], 'wide')} {_.time(opening.time())}"
        return _("The office is closed now. It opens %(when)s; expect an answer after that.", when=when)
    return _("Staff answer on working days, during office hours.")


def _closed(turn: Turn, request_id: int) -> Text:
    _ = turn._
    return screen(
        turn,
        _("Request No. %(n)d is closed. You can start a new one.", n=request_id),
        [Button(_("👤 Talk to staff"), Handoff().pack())],
    )


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
    turn.state.flow = None
    request_id = turn.state.data.pop("request", None)
    if not isinstance(request_id, int) or not 0 < request_id <= MAX_ID:  # a state saved by an earlier version
        raise StaleButton(str(request_id))
    try:
        if (refused := await _to_request(turn, request_id, text)) is not None:
            return refused
    except NotFound:
        raise StaleButton(str(request_id)) from None
    except Closed:
        return [_closed(turn, request_id)]
    return [Text(turn._("Added to request No. %(n)d.", n=request_id), rows(nav(turn)))]


async def _to_request(turn: Turn, request_id: int, text: str) -> list[Reply] | None:
    """The person's message added to their request and relayed to its staff, as a reply to the
    request's card; the replies when it is over the limit of messages, else None."""
    user = turn.event.user
    if not await turn.services.limits.allow("messages", f"{user.channel}:{user.id}"):
        turn.services.metrics.limited.labels(user.channel, "messages").inc()
        return [
            Text(
                turn._("You have written a lot to staff in a short time. Please wait a while, then write again."),
                rows(nav(turn)),
            )
        ]
    await turn.services.desk.add_from_citizen(
        request_id,
        user.channel,
        user.id,
        text[:MAX_TEXT],
        relay=lambda request, lang: staffdesk.citizen_message(turn.services, request, text[:MAX_TEXT], lang),
    )
    return None


async def not_a_staff_answer(turn: Turn, text: str) -> list[Reply] | None:
    """A staff member pressed ✉ Reply in a staff chat, then wrote here: this text is theirs, a question."""
    turn.state.flow = None
    turn.state.data.pop("staff_reply", None)
    return None


async def follow_up(turn: Turn, text: str) -> list[Reply] | None:
    """A message typed while staff have recently answered one of the person's open requests:
    people in a messenger just type their reply, so it goes to that request, said in one line,
    with "this is a new question" to have it answered as a question instead. None when there
    is no such request (or it was closed meanwhile): the text is a question."""
    turn.state.data.pop("follow_up", None)
    if not turn.state.data.get("asked"):
        return None  # most people never send one: no read
    user = turn.event.user
    services = turn.services
    request_id = await services.desk.answered_since(user.channel, user.id, services.now() - services.follow_up_window)
    if request_id is None:
        return None
    try:
        if (refused := await _to_request(turn, request_id, text)) is not None:
            return refused
    except (NotFound, Closed):
        return None
    turn.state.data["follow_up"] = text[:MAX_TEXT]  # for "this is a new question", until the next message
    _ = turn._
    return [
        Text(
            _("✉ Sent to staff, to your request No. %(n)d.", n=request_id),
            rows((Button(_("🔎 No, this is a new question"), NewQuestion(request_id).pack()),), nav(turn)),
        )
    ]


def new_question(turn: Turn, pressed: NewQuestion) -> str:
    """ "This is a new question": the message that went to the request, to be answered as a
    question (bot/core/conversation.py); gone after the next message, the button is out of date."""
    text = turn.state.data.pop("follow_up", None)
    if not isinstance(text, str) or not text:
        raise StaleButton(pressed.pack())
    return text


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
