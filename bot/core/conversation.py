"""The conversation core: an event in, replies out, state saved in between.

Channels translate their updates into `Event`s and render the `Reply`s; everything a citizen
can do is decided here, once, for every channel."""

import logging

from bot.core.dialogs import answers, browse, menu, nearby, screener, staff
from bot.core.dialogs.common import Services, StaleButton, Turn, nav
from bot.core.events import Event, Reply, Text, rows
from bot.core.i18n import language

log = logging.getLogger(__name__)

# Button payloads are "kind:argument"; the kind picks the dialog.
BUTTONS = {
    "menu": menu.menu, "help": menu.help_, "lang": menu.language, "forget": menu.forget,
    "browse": browse.categories, "cat": browse.towns, "town": browse.services, "svc": browse.card,
    "near": nearby.ask_location, "scr": screener.screener, "staff": staff.start,
}
COMMANDS = {"start": menu.welcome, "menu": menu.menu, "help": menu.help_, "language": menu.language,
            "forget": menu.forget}


class Conversation:
    def __init__(self, services: Services):
        self.services = services

    async def handle(self, event: Event) -> list[Reply]:
        state = await self.services.states.load(event.user)
        if state.language is None:
            state.language = language(event.user.language) or self.services.default_language
        turn = Turn(event, state, self.services)
        replies = await self._dispatch(turn)
        if not turn.forgotten:
            await self.services.states.save(event.user, state)
        return replies

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        event, _ = turn.event, turn._
        try:
            if event.payload is not None:
                kind, _sep, arg = event.payload.partition(":")
                if kind not in BUTTONS:
                    raise StaleButton(event.payload)
                return await BUTTONS[kind](turn, arg)
            if event.location is not None:
                return await nearby.nearest(turn, event.location)
            if event.contact is not None:
                return [Text(_("Thank you. I do not need your phone number here, so I did not keep it."),
                             rows(nav(turn)))]
            text = (event.text or "").strip()
            if _is_command(text):
                command = text[1:].split()[0].split("@")[0].lower()
                return await COMMANDS.get(command, menu.help_)(turn)
            if turn.state.flow == "screener:age" and (age := screener.typed_age(text)):
                return await screener.age(turn, age)
            if not text:
                return [Text(_("I can read text messages, buttons and locations. Write your question, or choose below."),
                             rows(*menu.menu_buttons(turn)))]
            return await answers.answer(turn, text)
        except StaleButton:
            log.info("stale or unknown button from %s", event.user.channel)
            return [Text(_("Sorry, that button is out of date. Here is the menu."), rows(*menu.menu_buttons(turn)))]


def _is_command(text: str | None) -> bool:
    return bool(text) and text.strip().startswith("/") and len(text.strip()) > 1
