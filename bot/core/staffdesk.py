"""The staff's side of help requests, for any channel: binding a chat, the queue, taking,
releasing, answering, notes, ready answers, closing, reopening, transferring, searching; and every
text about a request that staff or citizens receive. Citizens read in their own language; each
staff chat in its own (StaffChat.language, set with /lang; by default its queue's country's)."""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.core.dialogs.common import Services
from bot.core.events import Button, Event, Reply, Rows, Text, User, rows, to_message
from bot.core.flows import Flow, StaffReply
from bot.core.i18n import Translator, language
from bot.core.payloads import (
    SEPARATOR,
    AddToRequest,
    Menu,
    Payload,
    StaffAction,
    StaffTransfer,
    Verify,
    of_staff,
)
from bot.core.staff import Staff
from bot.core.state import State
from bot.helpdesk.desk import MAX_ID, AccessDenied, Closed, Erased, InvalidCode, NotFound, Render, StaffRender, TakenBy
from bot.helpdesk.models import HelpRequest, RequestEvent
from catalog.directory import ServiceCard
from catalog.texts import pick
from catalog.vocabulary import N_

# The citizen's language, named in the staff member's ("Language: Ukrainian" in a Bulgarian chat).
LANGUAGE_NAMES = {"bg": N_("Bulgarian"), "uk": N_("Ukrainian")}
# What /lang answers, in the language chosen.
STAFF_LANGUAGES = {
    "bg": N_("From now on, staff messages in this chat are in Bulgarian."),
    "uk": N_("From now on, staff messages in this chat are in Ukrainian."),
}
STATUS = {
    "received": N_("received"),
    "taken": N_("taken by a social worker"),
    "answered": N_("answered"),
    "closed": N_("closed"),
}
# What a staff chat reads when a colleague acted on a request of its queue.
TOLD = {
    "taken": N_("🙋 Request No. %(n)d is taken by %(who)s."),
    "released": N_("↩ %(who)s released request No. %(n)d: it waits to be taken."),
    "closed": N_("✅ Request No. %(n)d is closed by %(who)s."),
    "reopened": N_("♻ Request No. %(n)d is reopened by %(who)s."),
}
# The audit trail's actions, as staff read them (/history).
ACTIONS = {
    "created": N_("made by the citizen"),
    "taken": N_("taken"),
    "released": N_("released"),
    "transferred": N_("transferred"),
    "answered": N_("answered"),
    "note": N_("note added"),
    "closed": N_("closed"),
    "reopened": N_("reopened"),
    "citizen": N_("the citizen wrote again"),
    "reminded": N_("staff reminded"),
    "erased:citizen": N_("personal data erased at the citizen's request"),
    "erased:retention": N_("personal data erased after the retention period"),
}


def action_label(_: Translator, happened: RequestEvent) -> str:
    """What an audit-trail line says was done (an erasure also says why)."""
    key = f"erased:{happened.detail}" if happened.action == "erased" else happened.action
    return _(ACTIONS.get(key, happened.action))


REFUSALS = (
    (AccessDenied, N_("This request belongs to another queue.")),
    (
        Erased,
        N_(
            "This request is closed: the citizen's messages and contacts are erased "
            "(at their request or after the retention period)."
        ),
    ),
    (Closed, N_("This request is already closed.")),
    (InvalidCode, N_("This code is wrong, used or expired. Ask for a new one.")),
    (NotFound, N_("There is no such request.")),
)


def refusal(_: Translator, error: Exception) -> str:
    """Why the help desk refused a staff action, in words."""
    if isinstance(error, TakenBy) and error.action == "take":
        return _("Request No. %(n)d is already taken by %(who)s.", n=error.request_id, who=error.name)
    if isinstance(error, TakenBy):
        return _(
            "Request No. %(n)d is taken by %(who)s: only they can release it. You can still transfer or close it.",
            n=error.request_id,
            who=error.name,
        )
    return _(next(text for kinds, text in REFUSALS if isinstance(error, kinds)))


def language_name(_: Translator, lang: str) -> str:
    return _(LANGUAGE_NAMES[lang]) if lang in LANGUAGE_NAMES else lang


def staff_buttons(_: Translator, request: HelpRequest) -> Rows:
    """What can be done with the request now: a taken one offers no Take, a closed one only Reopen."""
    n = request.id
    if request.status == "closed":
        return rows((Button(_("♻ Reopen No. %(n)d", n=n), StaffAction("reopen", n).pack()),))
    first = (
        Button(_("✉ Reply No. %(n)d", n=n), StaffAction("reply", n).pack()),
        Button(_("↩ Release No. %(n)d", n=n), StaffAction("release", n).pack())
        if request.taken_at is not None
        else Button(_("🙋 Take No. %(n)d", n=n), StaffAction("take", n).pack()),
    )
    return rows(
        first,
        (
            Button(_("↪ Transfer No. %(n)d", n=n), StaffAction("transfer", n).pack()),
            Button(_("✅ Close No. %(n)d", n=n), StaffAction("close", n).pack()),
        ),
    )


async def staff_of(services: Services, queue_id: str, lang: str | None) -> Staff:
    """What a staff chat of the queue reads: in `lang`, its own language, else the queue's."""
    return await Staff(services, queue_id).load(lang)


def _who(_: Translator, name: str | None) -> str:
    return name or _("a colleague")


async def card(
    services: Services,
    request: HelpRequest,
    text: str,
    lang: str | None = None,
    topic: ServiceCard | None = None,
) -> dict[str, Any]:
    """The card a staff chat gets for a request, in the chat's language `lang`. `topic`: the
    service card of its topic, read before (inside the request's write transaction nothing else
    is read, bot/storage/engine.py)."""
    staff = await staff_of(services, request.queue_id, lang)
    _ = staff._
    found = topic if topic is not None or not request.service_id else await services.directory.card(request.service_id)
    about = _("Other question")
    if request.service_id and found:
        about = pick(found.name, _.lang) or request.service_id
    lines = [
        _("Queue: %(queue)s", queue=pick(staff.queue_name, _.lang) or request.queue_id),
        _("Topic: %(topic)s", topic=about),
        _("Language: %(language)s", language=language_name(_, request.language)),
    ]
    if request.town:
        lines.append(_("Town: %(town)s", town=town_name(services, request.town, _.lang)))
    lines.append(_("Received: %(when)s", when=staff.when(request.created_at)))
    if request.taken_at is not None:
        lines.append(_("Taken by: %(who)s", who=_who(_, request.taken_by)))
    lines += ["", text, ""]
    if request.phone:
        lines.append("📞 " + _("Phone (shared with consent): %(phone)s", phone=request.phone))
    if request.latitude is not None:
        lines.append("📍 " + _("Location: %(lat).5f, %(lon).5f", lat=request.latitude, lon=request.longitude))
    lines.append(_("To answer the citizen, press ✉ Reply (in Telegram you can also reply to this message)."))
    return to_message(Text("\n".join(lines), staff_buttons(_, request), title=_("🆕 Request No. %(n)d", n=request.id)))


def town_name(services: Services, town: str, lang: str) -> str:
    return pick(services.answers.place_names(town), lang) or town if services.answers is not None else town


async def citizen_message(
    services: Services, request: HelpRequest, text: str, lang: str | None = None
) -> dict[str, Any]:
    _ = (await staff_of(services, request.queue_id, lang))._
    return to_message(
        Text(
            text,
            staff_buttons(_, request),
            title=_("✉ Request No. %(n)d: a new message from the citizen", n=request.id),
        )
    )


async def reminder(services: Services, request: HelpRequest, lang: str | None = None) -> dict[str, Any]:
    staff = await staff_of(services, request.queue_id, lang)
    _ = staff._
    return to_message(
        Text(
            _(
                "⏰ Request No. %(n)d has been waiting for an answer since %(when)s.",
                n=request.id,
                when=staff.when(request.created_at),
            ),
            staff_buttons(_, request),
        )
    )


def told(services: Services, action: str, by: str | None) -> StaffRender:
    """What the queue's other staff chats read when `by` took, released, closed or reopened a request."""

    async def render(request: HelpRequest, lang: str | None) -> dict[str, Any]:
        return to_message(await told_text(services, request, lang, action, by))

    return render


async def told_text(services: Services, request: HelpRequest, lang: str | None, action: str, by: str | None) -> Text:
    _ = (await staff_of(services, request.queue_id, lang))._
    return Text(_(TOLD[action], n=request.id, who=_who(_, by)), staff_buttons(_, request))


def transferred(services: Services, queue_id: str, by: str | None) -> StaffRender:
    """What the first queue's staff chats read when a request leaves them for `queue_id`."""

    async def render(request: HelpRequest, lang: str | None) -> dict[str, Any]:
        _ = (await staff_of(services, request.queue_id, lang))._
        return to_message(Text(await _transferred_line(services, _, request.id, queue_id, by)))

    return render


async def _transferred_line(services: Services, _: Translator, number: int, queue_id: str, by: str | None) -> str:
    info = await services.desk.queue(queue_id)
    name = (pick(info.name, _.lang) if info else None) or queue_id
    return _("↪ %(who)s transferred request No. %(n)d to %(queue)s.", who=_who(_, by), n=number, queue=name)


def notice(services: Services, status: str, text: str = "") -> Render:
    """What the citizen is told when staff take, answer, close, reopen or transfer their request."""

    async def render(request: HelpRequest) -> dict[str, Any]:
        _ = Translator(request.language)
        info = await services.desk.queue(request.queue_id)
        office = (pick(info.name, _.lang) if info else None) or request.queue_id
        menu = Button(_("☰ Menu"), Menu().pack())
        if status == "taken":
            return to_message(
                Text(_("A social worker of %(office)s has taken your request No. %(n)d.", office=office, n=request.id))
            )
        if status == "closed":
            return to_message(
                Text(
                    _("Your request No. %(n)d is closed. Write any time if you need help again.", n=request.id),
                    rows((menu,)),
                )
            )
        add = Button(_("✉ Add a message"), AddToRequest(request.id).pack())
        if status == "reopened":
            return to_message(
                Text(
                    _("Your request No. %(n)d is open again. A social worker will answer you here.", n=request.id),
                    rows((add, menu)),
                )
            )
        if status == "transferred":
            return to_message(
                Text(
                    _(
                        "Your request No. %(n)d has been passed to %(office)s. A social worker there will answer "
                        "you here.",
                        n=request.id,
                        office=office,
                    ),
                    rows((add, menu)),
                )
            )
        return to_message(
            Text(
                text,
                rows((Button(_("✉ Reply"), AddToRequest(request.id).pack()), menu)),
                title=_("💬 %(office)s, request No. %(n)d:", office=office, n=request.id),
            )
        )

    return render


class StaffActions:
    """A staff member's actions on a request, the same from every channel and the web: the help
    desk's change, with everything it sends rendered (the citizen's notice in their language, the
    queue's other staff chats' in each chat's). `by`: the staff member's name."""

    def __init__(self, services: Services):
        self.services = services
        self.desk = services.desk

    async def take(self, number: int, channel: str, chat: str, by: str | None) -> HelpRequest:
        return await self.desk.take(
            number, channel, chat, notice(self.services, "taken"), by=by, tell=told(self.services, "taken", by)
        )

    async def release(self, number: int, channel: str, chat: str, by: str | None) -> HelpRequest:
        return await self.desk.release(number, channel, chat, by=by, tell=told(self.services, "released", by))

    async def close(self, number: int, channel: str, chat: str, by: str | None) -> HelpRequest:
        return await self.desk.close(
            number, channel, chat, notice(self.services, "closed"), by=by, tell=told(self.services, "closed", by)
        )

    async def reopen(self, number: int, channel: str, chat: str, by: str | None) -> HelpRequest:
        return await self.desk.reopen(
            number, channel, chat, notice(self.services, "reopened"), by=by, tell=told(self.services, "reopened", by)
        )

    async def reply(self, number: int, channel: str, chat: str, text: str, by: str | None) -> HelpRequest:
        return await self.desk.reply(number, channel, chat, text, notice(self.services, "answered", text), by=by)

    async def note(self, number: int, channel: str, chat: str, text: str, by: str | None) -> HelpRequest:
        return await self.desk.note(number, channel, chat, text, by=by)

    async def transfer(self, number: int, channel: str, chat: str, queue_id: str, by: str | None) -> HelpRequest:
        return await self.desk.transfer(
            number,
            channel,
            chat,
            queue_id,
            lambda request, first, lang: card(self.services, request, first, lang),
            by=by,
            notify=notice(self.services, "transferred"),
            tell=transferred(self.services, queue_id, by),
        )


async def history(services: Services, staff: Staff, request: HelpRequest, events: list[RequestEvent]) -> Text:
    """The request's audit trail, as a staff chat reads it."""
    _ = staff._
    lines = [_("No. %(n)d — %(status)s", n=request.id, status=_(STATUS[request.status]))]
    for event in events:
        line = f"{staff.when(event.at)} — {action_label(_, event)}"
        if event.by:
            line += f" ({event.by})"
        if event.action == "transferred" and event.detail:
            names = []
            for queue_id in event.detail.split(">"):
                info = await services.desk.queue(queue_id)
                names.append((pick(info.name, _.lang) if info else None) or queue_id)
            line += ": " + " → ".join(names)
        lines.append(line)
    return Text("\n".join(lines), staff_buttons(_, request), title=_("🕓 History of request No. %(n)d", n=request.id))


@dataclass(frozen=True)
class StaffCommand:
    """What a staff message or button asks, read once."""

    # join, queue, take, release, close, reopen, reply, transfer, cancel, note, canned, send, find,
    # history, lang, verify; None: text that is no command
    name: str | None
    number: int | None = None  # the request's number; None when missing or no number (no such request)
    word: str = ""  # the first word after the command: /join's code, the number as written
    rest: str = ""  # what follows it: /note's text, /send's ready answer, /reply's answer, /transfer's queue
    text: str = ""  # the whole text: a reply to a request's card, or an office's correction
    pressed: Verify | None = None  # an office's facts button, when it could be read
    queue: str = ""  # the queue a StaffTransfer button moves the request to

    @classmethod
    def of(cls, event: Event) -> "StaffCommand":
        if event.payload is not None:
            match Payload.unpack(event.payload):
                case StaffAction(action=action, request=number):
                    return cls(action, number)
                case StaffTransfer(request=number, queue=queue):
                    return cls("transfer", number, queue=queue)
                case Verify() as pressed:
                    return cls("verify", pressed=pressed)
            return cls("verify" if event.payload.startswith(Verify.prefix + SEPARATOR) else "usage")
        text = (event.text or "").strip()
        name = _command(text)
        if name is None:
            return cls(None, text=text)
        word, rest = (text.split(maxsplit=2)[1:] + ["", ""])[:2]
        return cls(name, _number(word), word, rest, text)


class StaffDesk:
    def __init__(self, services: Services):
        self.services = services
        self.actions = StaffActions(services)

    async def wants(self, event: Event, state: State) -> bool:
        """A staff action: a staff command, a staff button, a reply to a request's message, the
        answer a staff member is writing after ✉ Reply, or an office's correction being typed."""
        if event.user.channel in self.services.citizen_only_channels:
            return False
        if event.payload is not None:
            return of_staff(event.payload)
        channel, chat = event.user.channel, _chat(event)
        if (name := _command(event.text)) in COMMANDS:
            return name not in CITIZEN_WORDS or bool(await self.services.desk.staff_queues(channel, chat))
        if not event.text or name:
            return False
        if event.reply_to and await self.services.desk.request_for_message(channel, chat, event.reply_to) is not None:
            return True
        if _answering(event, state) is not None:
            return True
        if not state.data.get("fixing"):
            return False  # never pressed ✏ Correct: no read
        return await self.services.desk.verifications.fixing(channel, chat, event.user.id) is not None

    async def _await_answer(self, user: User, number: int | None, chat: str) -> None:
        """The staff member's next text in `chat` answers request `number` (None: it does not)."""
        state = await self.services.states.load(user)
        if number is None:
            if state.flow == Flow.STAFF_REPLY:
                state.flow = None
            state.data.pop("staff_reply", None)
        else:
            state.flow = Flow.STAFF_REPLY
            state.data["staff_reply"] = StaffReply(request=number, chat=chat)
        await self.services.states.save(user, state)

    async def handle(self, event: Event, state: State) -> list[Reply]:
        command = StaffCommand.of(event)
        desk, chat, channel = self.services.desk, _chat(event), event.user.channel
        queues = await desk.staff_queues(channel, chat)
        _ = await self._translator(queues, channel, chat, event.user)
        try:
            if not queues and command.name != "join":
                return [Text(_("This chat is not a staff chat. An administrator can bind it with /join CODE."))]
            if command.name is None:
                replied = await desk.request_for_message(channel, chat, event.reply_to) if event.reply_to else None
                if replied is None and (answering := _answering(event, state)) is not None:
                    await self._await_answer(event.user, None, chat)
                    replied = answering
                if replied is None:  # an office's facts
                    return await self._verification(event, state, command, channel, chat)
                return await self._reply(_, replied, channel, chat, command.text, event.user)
            if command.name == "verify":
                return await self._verification(event, state, command, channel, chat)
            if command.name not in ("reply", "cancel") and _answering(event, state) is not None:
                await self._await_answer(event.user, None, chat)  # pressed something else: the answer is not awaited
            handler = COMMANDS.get(command.name, StaffDesk._usage)
            return await handler(self, _, command, channel, chat, queues, event.user)
        except (NotFound, AccessDenied, Closed, InvalidCode, TakenBy) as error:
            return [Text(refusal(_, error))]

    async def _translator(self, queues: list[str], channel: str, chat: str, user: User) -> Translator:
        """The staff chat's language: its own, else its queue's, else (a chat not yet bound) their app's."""
        if queues:
            return (await staff_of(self.services, queues[0], await self.services.desk.chat_language(channel, chat)))._
        return Translator(language(user.language) or self.services.default_language)

    async def _staff(self, queue_id: str, channel: str, chat: str) -> Staff:
        return await staff_of(self.services, queue_id, await self.services.desk.chat_language(channel, chat))

    async def _join(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        if not command.word:
            return [Text(_("Write the code after the command: /join CODE"))]
        limits, who = self.services.limits, f"{channel}:{chat}"
        if not await limits.open("join failures", who):
            return [Text(_("Too many wrong codes from this chat. Try again in an hour, with a new code."))]
        try:
            info = await self.services.desk.join(
                command.word,
                channel,
                chat,
                card=lambda request, first, lang: card(self.services, request, first, lang),
            )
        except InvalidCode:
            await limits.count("join failures", who)
            raise
        _ = (await self._staff(info.id, channel, chat))._
        from bot.core import verification

        await verification.ask_due(self.services, channel=channel, chat_id=chat)  # unknown facts at once
        return [
            Text(
                _("This chat now receives the requests of %(queue)s.", queue=pick(info.name, _.lang)) + "\n" + _(USAGE)
            )
        ]

    async def _usage(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        return [Text(_(USAGE))]

    async def _lang(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        chosen = command.word.lower()
        if chosen not in STAFF_LANGUAGES:
            return [Text(_("Write: /lang bg or /lang uk"))]
        await self.services.desk.set_language(channel, chat, chosen)
        _ = Translator(chosen)
        return [Text(_(STAFF_LANGUAGES[chosen]))]

    async def _take(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        request = await self.actions.take(_request(command), channel, chat, user.name)
        if request.taken_by != user.name:
            return [
                Text(
                    _("Request No. %(n)d is already taken by %(who)s.", n=request.id, who=_who(_, request.taken_by)),
                    staff_buttons(_, request),
                )
            ]
        return [await self._told(request, channel, chat, "taken", user.name)]

    async def _told(self, request: HelpRequest, channel: str, chat: str, action: str, by: str | None) -> Text:
        return await told_text(
            self.services, request, await self.services.desk.chat_language(channel, chat), action, by
        )

    async def _release(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        request = await self.actions.release(_request(command), channel, chat, user.name)
        return [await self._told(request, channel, chat, "released", user.name)]

    async def _close(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        request = await self.actions.close(_request(command), channel, chat, user.name)
        return [await self._told(request, channel, chat, "closed", user.name)]

    async def _reopen(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        request = await self.actions.reopen(_request(command), channel, chat, user.name)
        return [await self._told(request, channel, chat, "reopened", user.name)]

    async def _transfer(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        number = _request(command)
        target = command.queue or command.rest.strip()
        request = await self.services.desk.request(number, channel, chat)
        if request.status == "closed":
            raise Closed(number)
        others = [q for q in await self.services.desk.queues() if q.id != request.queue_id]
        if not target or all(q.id != target for q in others):
            buttons = [(Button(pick(q.name, _.lang) or q.id, StaffTransfer(number, q.id).pack()),) for q in others]
            cancel = Button(_("✖ Cancel"), StaffAction("cancel", number).pack())
            return [Text(_("Transfer request No. %(n)d to which queue?", n=number), rows(*buttons, (cancel,)))]
        await self.actions.transfer(number, channel, chat, target, user.name)
        return [Text(await _transferred_line(self.services, _, number, target, user.name))]

    async def _answer(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        """/reply N text answers at once; ✉ Reply (or /reply N) waits for the answer as the next text."""
        number = _request(command)
        if command.rest:
            return await self._reply(_, number, channel, chat, command.rest, user)
        request = await self.services.desk.request(number, channel, chat)
        if request.status == "closed":
            raise Closed(number)
        await self._await_answer(user, number, chat)
        return [
            Text(
                _("Write your answer to request No. %(n)d: your next message goes to the citizen.", n=number),
                rows((Button(_("✖ Cancel"), StaffAction("cancel", number).pack()),)),
            )
        ]

    async def _cancel(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        await self._await_answer(user, None, chat)
        return [Text(_("Cancelled. Nothing was sent."))]

    async def _note(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        number = _request(command)
        if not command.rest:
            return [Text(_("Write: /note N text"))]
        request = await self.actions.note(number, channel, chat, command.rest, user.name)
        return [Text(_("Note saved. The citizen does not see it."), staff_buttons(_, request))]

    async def _history(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        request = await self.services.desk.request(_request(command), channel, chat)
        staff = await self._staff(request.queue_id, channel, chat)
        return [await history(self.services, staff, request, await self.services.desk.events(request.id))]

    async def _find(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        """/find 12 or /find words: the chat's requests, open and closed, by number or by what was written."""
        words = command.text.split(maxsplit=1)[1].strip() if len(command.text.split(maxsplit=1)) > 1 else ""
        if not words:
            return [Text(_("Write: /find N or /find words"))]
        number = _number(words) if " " not in words else None
        found = await self.services.desk.search(queues, number=number, text=None if number else words, limit=20)
        if not found:
            return [Text(_("No requests found."))]
        lines = [_.plural("%(n)d request found:", "%(n)d requests found:", len(found))]
        lines += [_("No. %(n)d — %(status)s", n=r.id, status=_(STATUS[r.status])) for r in found]
        return [Text("\n".join(lines))]

    async def _verification(
        self, event: Event, state: State, command: StaffCommand, channel: str, chat: str
    ) -> list[Reply]:
        """A button of an office's facts, or the correction a staff member is typing."""
        from bot.core import verification

        try:
            if command.name == "verify":
                if command.pressed is None:
                    raise NotFound(event.payload)
                replies = await verification.press(
                    self.services, command.pressed.pack(), channel, chat, event.user.id, event.user.name
                )
                if command.pressed.action == "fix" and not state.data.get("fixing"):
                    state.data["fixing"] = True
                    await self.services.states.save(event.user, state)
                return replies
            fixing = await self.services.desk.verifications.fixing(channel, chat, event.user.id)
            if fixing is None:
                raise NotFound(command.text)
            return await verification.typed(self.services, fixing, command.text)
        except NotFound:
            _ = (await self._staff((await self.services.desk.staff_queues(channel, chat))[0], channel, chat))._
            return [Text(_(verification.MISSING))]

    async def _queue(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        requests = await self.services.desk.open_requests(channel, chat)
        if not requests:
            return [Text(_("No open requests."))]
        lines = [_.plural("%(n)d open request:", "%(n)d open requests:", len(requests))]
        for r in requests:
            status = _(STATUS[r.status])
            if r.taken_at is not None:
                status = _("taken by %(who)s", who=_who(_, r.taken_by)) if r.status == "taken" else status
            lines.append(_("No. %(n)d — %(status)s", n=r.id, status=status))
        return [Text("\n".join(lines))]

    async def _canned(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        lines = []
        for queue_id in queues:
            info = await self.services.desk.queue(queue_id)
            lines += [f"{k}. {pick(texts, _.lang)}" for k, texts in enumerate(info.canned if info else [], 1)]
        return [Text("\n".join(lines) if lines else _("This queue has no ready answers."))]

    async def _send_canned(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str], user: User
    ) -> list[Reply]:
        number = _request(command)
        request = next((r for r in await self.services.desk.open_requests(channel, chat) if r.id == number), None)
        if request is None:
            raise NotFound(number)
        info = await self.services.desk.queue(request.queue_id)
        canned = info.canned if info else []
        k = int(command.rest) if command.rest.isdigit() else 0
        if not 1 <= k <= len(canned):
            return [Text(_("Write: /send N K, where K is the number of a ready answer (/canned)."))]
        return await self._reply(_, number, channel, chat, pick(canned[k - 1], request.language) or "", user)

    async def _reply(
        self, _: Translator, number: int | None, channel: str, chat: str, text: str, user: User
    ) -> list[Reply]:
        if number is None or not text:
            raise NotFound(number)
        request = await self.actions.reply(number, channel, chat, text, user.name)
        # with the request's buttons: Viber shows only the newest message's
        return [Text(_("Sent to the citizen (request No. %(n)d).", n=number), staff_buttons(_, request))]


USAGE = N_(
    "Staff commands: /queue, /take N, /reply N text, /release N, /close N, /reopen N, /transfer N, "
    "/note N text, /history N, /find words, /canned, /send N K, /lang bg|uk. "
    "Reply to a request's message, or press ✉ Reply, to answer the citizen."
)
# Commands a citizen may well type too: staff commands only in a staff chat.
CITIZEN_WORDS = frozenset({"lang", "cancel", "find", "reply", "history"})
StaffHandler = Callable[[StaffDesk, Translator, StaffCommand, str, str, list[str], User], Awaitable[list[Reply]]]
COMMANDS: dict[str, StaffHandler] = {
    "join": StaffDesk._join,
    "queue": StaffDesk._queue,
    "canned": StaffDesk._canned,
    "take": StaffDesk._take,
    "release": StaffDesk._release,
    "close": StaffDesk._close,
    "reopen": StaffDesk._reopen,
    "transfer": StaffDesk._transfer,
    "reply": StaffDesk._answer,
    "cancel": StaffDesk._cancel,
    "note": StaffDesk._note,
    "history": StaffDesk._history,
    "find": StaffDesk._find,
    "lang": StaffDesk._lang,
    "send": StaffDesk._send_canned,
}


def _chat(event: Event) -> str:
    return event.chat or event.user.id


def _command(text: str | None) -> str | None:
    match = re.match(r"^/(\w+)(@\w+)?", (text or "").strip())
    return match[1].lower() if match else None


def _number(word: str) -> int | None:
    """A request number as staff write it ("12", "№12", "#12"); None for anything else."""
    value = word.lstrip("№#")
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or not 0 < int(value) <= MAX_ID:
        return None
    return int(value)


def _request(command: StaffCommand) -> int:
    """The request a command is about; a missing or bad number is no request."""
    if command.number is None:
        raise NotFound(command.word)
    return command.number


def _answering(event: Event, state: State) -> int | None:
    """The request whose ✉ Reply the staff member pressed in this chat, when their next text answers it."""
    pending = state.data.get("staff_reply")
    if state.flow != Flow.STAFF_REPLY or not isinstance(pending, dict) or pending.get("chat") != _chat(event):
        return None
    number = pending.get("request")
    return number if isinstance(number, int) else None
