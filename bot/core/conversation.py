"""The conversation core: an event in, replies out, state saved in between.

Channels translate their updates into `Event`s and render the `Reply`s; everything a citizen
can do is decided here, once, for every channel."""

import dataclasses
import datetime as dt
import logging
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from bot.core import language as languages
from bot.core.dialogs import answers, browse, handoff, menu, nearby, screener
from bot.core.dialogs.common import Services, StaleButton, Turn, nav
from bot.core.events import Event, Reply, Text, User, rows, typed_buttons
from bot.core.flows import HANDOFF_FLOWS, Flow
from bot.core.i18n import Translator, language
from bot.core.payloads import (
    AddToRequest,
    Browse,
    Card,
    Forget,
    Handoff,
    Help,
    InTown,
    Language,
    Menu,
    More,
    Near,
    NewQuestion,
    Payload,
    Screener,
    Towns,
    Where,
)
from bot.core.staffdesk import StaffDesk
from bot.core.state import Claim
from catalog.search.normalize import MAX_QUESTION

log = logging.getLogger(__name__)

# A button's handler gets the turn and the payload pressed, of the kind it is listed with.
ButtonHandler = Callable[[Turn, Any], Awaitable[list[Reply]]]
CommandHandler = Callable[[Turn], Awaitable[list[Reply]]]

BUTTONS: dict[type[Payload], ButtonHandler] = {
    Menu: menu.menu,
    Help: menu.help_,
    Language: menu.language,
    Forget: menu.forget,
    Browse: browse.categories,
    Towns: browse.towns,
    InTown: browse.services,
    Card: browse.card,
    More: browse.more,
    Near: nearby.ask_location,
    Screener: screener.screener,
    Handoff: handoff.handoff,
    AddToRequest: handoff.add,
    Where: answers.where,
    NewQuestion: lambda turn, pressed: answers.answer(turn, handoff.new_question(turn, pressed)),
}
COMMANDS: dict[str, CommandHandler] = {
    "start": menu.welcome,
    "menu": menu.menu,
    "help": menu.help_,
    "language": menu.language,
    "forget": menu.forget,
    "myrequests": handoff.mine,
}
# What a typed text answers while a dialog waits for it (PTB's ConversationHandler states). None:
# the text is not such an answer, and is read as a question.
TextHandler = Callable[[Turn, str], Awaitable[list[Reply] | None]]
AWAITING_TEXT: dict[Flow, TextHandler] = {
    Flow.SCREENER_AGE: screener.typed_age,
    Flow.HANDOFF_TOPIC: handoff.typed_topic,
    Flow.HANDOFF_TEXT: handoff.described,
    Flow.HANDOFF_PHONE: handoff.typed_phone,
    Flow.REQUEST: handoff.added,
    Flow.WHERE: answers.typed_place,
    Flow.STAFF_REPLY: handoff.not_a_staff_answer,
}
# Control characters other than tab and newline: a NUL cannot be stored in PostgreSQL's text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(event: Event) -> Event:
    """The event without control characters in what the person wrote, pressed or shared."""
    changes: dict[str, Any] = {
        name: CONTROL.sub("", value)
        for name in ("text", "payload", "contact")
        if isinstance(value := getattr(event, name), str) and CONTROL.search(value)
    }
    return dataclasses.replace(event, **changes) if changes else event


def sorry(user: User) -> Text:
    """What a person reads when their message could not be handled (the database may be away):
    never silence."""
    _ = Translator(language(user.language) or "bg")
    return Text(_("Sorry, something went wrong on our side. Please try again in a minute."))


@dataclass(frozen=True)
class Outcome:
    """A turn's replies, and what a channel must know besides them."""

    replies: list[Reply]
    forgotten: bool = False  # the person asked to be forgotten: the channel drops what it keeps of them too


class Conversation:
    def __init__(self, services: Services):
        self.services = services
        self.staff = StaffDesk(services)

    async def handle(self, event: Event) -> list[Reply]:
        return (await self.turn(event)).replies

    async def turn(self, event: Event) -> Outcome:
        metrics = self.services.metrics
        kind = (
            "button"
            if event.payload is not None
            else "location"
            if event.location
            else "contact"
            if event.contact
            else "text"
        )
        metrics.updates.labels(event.user.channel, kind).inc()
        started = time.perf_counter()
        event = clean(event)
        try:
            if not await self.services.limits.allow("turns", f"{event.user.channel}:{event.user.id}"):
                return Outcome(await self._slow_down(event))
            async with self.services.locks.hold(f"{event.user.channel}:{event.chat or event.user.id}"):
                return await self._handle(event)
        except Exception:
            metrics.errors.labels(event.user.channel).inc()
            raise
        finally:
            metrics.turn_seconds.labels(kind).observe(time.perf_counter() - started)

    async def _slow_down(self, event: Event) -> list[Reply]:
        """Over the limit of turns: said once a minute, then nothing, and nothing is stored."""
        self.services.metrics.limited.labels(event.user.channel, "turns").inc()
        log.info("turn over the limit from %s", event.user.channel)
        if event.chat is not None or not await self.services.limits.allow(
            "slow-down notice", f"{event.user.channel}:{event.user.id}"
        ):
            return []
        state = await self.services.states.load(event.user)
        _ = Translator(state.language or language(event.user.language) or self.services.default_language)
        return [Text(_("You are writing faster than I can answer. Please wait a minute, then write again."))]

    async def _handle(self, event: Event) -> Outcome:
        state = await self.services.states.load(event.user)  # read once: whether staff are answering, and the turn's
        if await self.staff.wants(event, state):
            return Outcome(await self.staff.handle(event, state))
        if event.chat is not None:
            return Outcome([])  # a group's chatter is not addressed to Opora
        languages.start(state, event.user.language, self.services.default_language)
        typed = state.data.pop("typed_buttons", {})
        if event.text is not None and (payload := typed.get(event.text.strip())):
            event = dataclasses.replace(event, text=None, payload=payload)
        turn = Turn(event, state, self.services)
        replies = await self._dispatch(turn)
        if shown := typed_buttons(replies):
            state.data["typed_buttons"] = shown
        if not turn.forgotten:
            await self.services.states.save(event.user, state)
        return Outcome(replies, forgotten=turn.forgotten)

    # --- what channels ask besides a turn ---------------------------------------------------

    @property
    def default_language(self) -> str:
        return self.services.default_language

    async def language_of(self, user: User) -> str | None:
        """The language of the person's conversation; None before it has one."""
        return (await self.services.states.load(user)).language

    async def subscribed(self, user: User, subscribed: bool) -> None:
        """Whether the person subscribed to the bot (Viber sends only to subscribers)."""
        await self.services.states.subscribed(user, subscribed)

    def once(self, channel: str, key: str, expires: dt.timedelta) -> AbstractAsyncContextManager[Claim]:
        """Handle a channel's update once, though it is delivered again (bot/core/state.py, `handling`)."""
        return self.services.states.handling(channel, key, expires)

    async def allow(self, limit: str, key: str) -> bool:
        """A channel's own limit (per address, per session): count one more for `key`."""
        return await self.services.limits.allow(limit, key)

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        event, _ = turn.event, turn._
        try:
            if event.payload is not None:
                pressed = Payload.unpack(event.payload)
                if pressed is None or type(pressed) not in BUTTONS:
                    raise StaleButton(event.payload)
                return await BUTTONS[type(pressed)](turn, pressed)
            flow = turn.state.flow
            if event.location is not None:
                if flow in HANDOFF_FLOWS:
                    return await handoff.located(turn, event.location)
                return await nearby.nearest(turn, event.location)
            if event.contact is not None and flow == Flow.HANDOFF_PHONE:
                return await handoff.shared_phone(turn, event.contact)
            if event.contact is not None:
                return [
                    Text(_("Thank you. I do not need your phone number here, so I did not keep it."), rows(nav(turn)))
                ]
            text = (event.text or "").strip()
            if _is_command(text):
                command = text[1:].split()[0].split("@")[0].lower()
                return await COMMANDS.get(command, menu.help_)(turn)
            switched = languages.follow(turn.state, turn.services.answers.clear_language(text[:MAX_QUESTION]))
            replies = await self._typed(turn, text, flow)
            return _said_with(switched, replies) if switched else replies
        except StaleButton:
            log.info("stale or unknown button from %s", event.user.channel)
            return [Text(_("Sorry, that button is out of date. Here is the menu."), rows(*menu.menu_buttons(turn)))]

    async def _typed(self, turn: Turn, text: str, flow: Flow | None) -> list[Reply]:
        if text and flow is not None and (replies := await AWAITING_TEXT[flow](turn, text)) is not None:
            return replies
        if text and flow is None and (replies := await handoff.follow_up(turn, text)) is not None:
            return replies  # a reply to staff, typed the way people do in a messenger
        if not text:
            _ = turn._
            return [
                Text(
                    _("I can read text messages, buttons and locations. Write your question, or choose below."),
                    rows(*menu.menu_buttons(turn)),
                )
            ]
        return await answers.answer(turn, text)


def _said_with(notice: Text, replies: list[Reply]) -> list[Reply]:
    """A language switch is said at the top of the answer's first message, its way back under
    that message's buttons: one message rather than two (Telegram allows 30 a second for all
    chats). As a message of its own before a card, a location request or a redrawn list."""
    first = replies[0] if replies else None
    if not isinstance(first, Text) or first.title or first.request or first.replaces:
        return [notice, *replies]
    merged = dataclasses.replace(
        first, text=f"{notice.text}\n\n{first.text}", buttons=(*first.buttons, *notice.buttons)
    )
    return [merged, *replies[1:]]


def _is_command(text: str) -> bool:
    return text.strip().startswith("/") and len(text.strip()) > 1
