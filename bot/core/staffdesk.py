"""The staff's side of help requests, for any channel: binding a chat, the queue, taking,
answering, notes, ready answers and closing; and every text about a request that staff or
citizens receive. Staff read in their office's language (bg or uk, from the queue's country)."""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.core.dialogs.common import Services
from bot.core.events import Button, Event, Reply, Rows, Text, User, rows, to_message
from bot.core.i18n import Translator, language
from bot.core.payloads import SEPARATOR, AddToRequest, Menu, Payload, StaffAction, Verify, of_staff
from bot.core.staff import Staff
from bot.helpdesk.desk import MAX_ID, AccessDenied, Closed, InvalidCode, NotFound, Render
from bot.helpdesk.models import HelpRequest
from catalog.directory import ServiceCard
from catalog.texts import pick
from catalog.vocabulary import N_

LANGUAGE_NAMES = {"bg": "български", "uk": "українська"}
STATUS = {
    "received": N_("received"),
    "taken": N_("taken by a social worker"),
    "answered": N_("answered"),
    "closed": N_("closed"),
}


REFUSALS = (
    (AccessDenied, N_("This request belongs to another queue.")),
    (Closed, N_("This request is already closed.")),
    (InvalidCode, N_("This code is wrong, used or expired. Ask for a new one.")),
    (NotFound, N_("There is no such request.")),
)


def refusal(_: Translator, error: Exception) -> str:
    """Why the help desk refused a staff action, in words."""
    return _(next(text for kinds, text in REFUSALS if isinstance(error, kinds)))


def staff_buttons(_: Translator, request_id: int) -> Rows:
    return rows(
        (
            Button(_("🙋 Take No. %(n)d", n=request_id), StaffAction("take", request_id).pack()),
            Button(_("✅ Close No. %(n)d", n=request_id), StaffAction("close", request_id).pack()),
        )
    )


async def card(services: Services, request: HelpRequest, text: str, topic: ServiceCard | None = None) -> dict[str, Any]:
    """The card staff get for a new request. `topic`: the service card of its topic, read before
    (inside the request's write transaction nothing else is read, bot/storage/engine.py)."""
    staff = await Staff(services, request.queue_id).load()
    _ = staff._
    found = topic if topic is not None or not request.service_id else await services.directory.card(request.service_id)
    about = _("Other question")
    if request.service_id and found:
        about = pick(found.name, _.lang) or request.service_id
    lines = [
        _("Queue: %(queue)s", queue=pick(staff.queue_name, _.lang) or request.queue_id),
        _("Topic: %(topic)s", topic=about),
        _("Language: %(language)s", language=LANGUAGE_NAMES.get(request.language, request.language)),
        _("Received: %(when)s", when=staff.when(request.created_at)),
        "",
        text,
        "",
    ]
    if request.phone:
        lines.append("📞 " + _("Phone (shared with consent): %(phone)s", phone=request.phone))
    if request.latitude is not None:
        lines.append("📍 " + _("Location: %(lat).5f, %(lon).5f", lat=request.latitude, lon=request.longitude))
    lines.append(_("Reply to this message to answer the citizen."))
    return to_message(
        Text("\n".join(lines), staff_buttons(_, request.id), title=_("🆕 Request No. %(n)d", n=request.id))
    )


async def citizen_message(services: Services, request: HelpRequest, text: str) -> dict[str, Any]:
    _ = (await Staff(services, request.queue_id).load())._
    return to_message(
        Text(
            text,
            staff_buttons(_, request.id),
            title=_("✉ Request No. %(n)d: a new message from the citizen", n=request.id),
        )
    )


async def reminder(services: Services, request: HelpRequest) -> dict[str, Any]:
    staff = await Staff(services, request.queue_id).load()
    _ = staff._
    return to_message(
        Text(
            _(
                "⏰ Request No. %(n)d has been waiting for an answer since %(when)s.",
                n=request.id,
                when=staff.when(request.created_at),
            ),
            staff_buttons(_, request.id),
        )
    )


def notice(services: Services, status: str, text: str = "") -> Render:
    """What the citizen is told when staff take, answer or close their request."""

    async def render(request: HelpRequest) -> dict[str, Any]:
        _ = Translator(request.language)
        info = await services.desk.queue(request.queue_id)
        office = (pick(info.name, _.lang) if info else None) or request.queue_id
        if status == "taken":
            return to_message(
                Text(_("A social worker of %(office)s has taken your request No. %(n)d.", office=office, n=request.id))
            )
        if status == "closed":
            return to_message(
                Text(
                    _("Your request No. %(n)d is closed. Write any time if you need help again.", n=request.id),
                    rows((Button(_("☰ Menu"), Menu().pack()),)),
                )
            )
        return to_message(
            Text(
                text,
                rows((Button(_("✉ Reply"), AddToRequest(request.id).pack()), Button(_("☰ Menu"), Menu().pack()))),
                title=_("💬 %(office)s, request No. %(n)d:", office=office, n=request.id),
            )
        )

    return render


@dataclass(frozen=True)
class StaffCommand:
    """What a staff message or button asks, read once."""

    name: str | None  # join, queue, take, close, note, canned, send, verify; None: text that is no command
    number: int | None = None  # the request's number; None when missing or no number (no such request)
    word: str = ""  # the first word after the command: /join's code, the number as written
    rest: str = ""  # what follows it: /note's text, /send's ready answer
    text: str = ""  # the whole text: a reply to a request's card, or an office's correction
    pressed: Verify | None = None  # an office's facts button, when it could be read

    @classmethod
    def of(cls, event: Event) -> "StaffCommand":
        if event.payload is not None:
            match Payload.unpack(event.payload):
                case StaffAction(action=action, request=number):
                    return cls(action, number)
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

    async def wants(self, event: Event) -> bool:
        """A staff action: a staff command, a staff button, or a reply to a request's message."""
        if event.user.channel in self.services.citizen_only_channels:
            return False
        if event.payload is not None:
            return of_staff(event.payload)
        if _command(event.text) in COMMANDS:
            return True
        if (
            event.reply_to
            and event.text
            and await self.services.desk.request_for_message(event.user.channel, _chat(event), event.reply_to)
            is not None
        ):
            return True
        return (
            bool(event.text)
            and not _command(event.text)
            and await self.services.desk.verifications.fixing(event.user.channel, _chat(event), event.user.id)
            is not None
        )

    async def handle(self, event: Event) -> list[Reply]:
        command = StaffCommand.of(event)
        desk, chat, channel = self.services.desk, _chat(event), event.user.channel
        queues = await desk.staff_queues(channel, chat)
        _ = await self._translator(queues, event.user)
        try:
            if not queues and command.name != "join":
                return [Text(_("This chat is not a staff chat. An administrator can bind it with /join CODE."))]
            replied = await desk.request_for_message(channel, chat, event.reply_to) if event.reply_to else None
            if command.name == "verify" or (command.name is None and replied is None):  # an office's facts
                return await self._verification(event, command, channel, chat)
            if command.name is None:
                return await self._reply(_, replied, channel, chat, command.text)
            return await COMMANDS.get(command.name, StaffDesk._usage)(self, _, command, channel, chat, queues)
        except (NotFound, AccessDenied, Closed, InvalidCode) as error:
            return [Text(refusal(_, error))]

    async def _translator(self, queues: list[str], user: User) -> Translator:
        """The staff's language: their queue's, else (a chat not yet bound) their app's."""
        if queues:
            return (await Staff(self.services, queues[0]).load())._
        return Translator(language(user.language) or self.services.default_language)

    async def _join(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str]
    ) -> list[Reply]:
        if not command.word:
            return [Text(_("Write the code after the command: /join CODE"))]
        limits, who = self.services.limits, f"{channel}:{chat}"
        if not await limits.open("join failures", who):
            return [Text(_("Too many wrong codes from this chat. Try again in an hour, with a new code."))]
        try:
            info = await self.services.desk.join(
                command.word, channel, chat, card=lambda request, first: card(self.services, request, first)
            )
        except InvalidCode:
            await limits.count("join failures", who)
            raise
        _ = (await Staff(self.services, info.id).load())._
        from bot.core import verification

        await verification.ask_due(self.services, channel=channel, chat_id=chat)  # unknown facts at once
        return [Text(_("This chat now receives the requests of %(queue)s.", queue=pick(info.name, _.lang)))]

    async def _usage(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str]
    ) -> list[Reply]:
        return [
            Text(
                _(
                    "Staff commands: /queue, /take N, /close N, /note N text, /canned, /send N K. "
                    "Reply to a request's message to answer the citizen."
                )
            )
        ]

    async def _take(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str]
    ) -> list[Reply]:
        number = _request(command)
        await self.services.desk.take(number, channel, chat, notify=notice(self.services, "taken"))
        return [Text(_("Request No. %(n)d is yours. Reply to its card to answer.", n=number))]

    async def _close(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str]
    ) -> list[Reply]:
        number = _request(command)
        await self.services.desk.close(number, channel, chat, notify=notice(self.services, "closed"))
        return [Text(_("Request No. %(n)d is closed.", n=number))]

    async def _note(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str]
    ) -> list[Reply]:
        number = _request(command)
        if not command.rest:
            return [Text(_("Write: /note N text"))]
        await self.services.desk.note(number, channel, chat, command.rest)
        return [Text(_("Note saved. The citizen does not see it."))]

    async def _verification(self, event: Event, command: StaffCommand, channel: str, chat: str) -> list[Reply]:
        """A button of an office's facts, or the correction a staff member is typing."""
        from bot.core import verification

        try:
            if command.name == "verify":
                if command.pressed is None:
                    raise NotFound(event.payload)
                return await verification.press(
                    self.services, command.pressed.pack(), channel, chat, event.user.id, event.user.name
                )
            fixing = await self.services.desk.verifications.fixing(channel, chat, event.user.id)
            if fixing is None:
                raise NotFound(command.text)
            return await verification.typed(self.services, fixing, command.text)
        except NotFound:
            _ = (await Staff(self.services, (await self.services.desk.staff_queues(channel, chat))[0]).load())._
            return [Text(_(verification.MISSING))]

    async def _queue(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str]
    ) -> list[Reply]:
        requests = await self.services.desk.open_requests(channel, chat)
        if not requests:
            return [Text(_("No open requests."))]
        lines = [_.plural("%(n)d open request:", "%(n)d open requests:", len(requests))]
        lines += [_("No. %(n)d — %(status)s", n=r.id, status=_(STATUS[r.status])) for r in requests]
        return [Text("\n".join(lines))]

    async def _canned(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str]
    ) -> list[Reply]:
        lines = []
        for queue_id in queues:
            info = await self.services.desk.queue(queue_id)
            lines += [f"{k}. {pick(texts, _.lang)}" for k, texts in enumerate(info.canned if info else [], 1)]
        return [Text("\n".join(lines) if lines else _("This queue has no ready answers."))]

    async def _send_canned(
        self, _: Translator, command: StaffCommand, channel: str, chat: str, queues: list[str]
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
        return await self._reply(_, number, channel, chat, pick(canned[k - 1], request.language) or "")

    async def _reply(self, _: Translator, number: int | None, channel: str, chat: str, text: str) -> list[Reply]:
        if number is None or not text:
            raise NotFound(number)
        await self.services.desk.reply(number, channel, chat, text, relay=notice(self.services, "answered", text))
        return [Text(_("Sent to the citizen (request No. %(n)d).", n=number))]


StaffHandler = Callable[[StaffDesk, Translator, StaffCommand, str, str, list[str]], Awaitable[list[Reply]]]
COMMANDS: dict[str, StaffHandler] = {
    "join": StaffDesk._join,
    "queue": StaffDesk._queue,
    "canned": StaffDesk._canned,
    "take": StaffDesk._take,
    "close": StaffDesk._close,
    "note": StaffDesk._note,
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
