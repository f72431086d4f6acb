"""The conversation in a terminal: buttons become numbered choices; type a number to press one."""

import asyncio
import sys
from typing import Any

from bot.core.conversation import Conversation
from bot.core.events import Button, Event, Reply, Text, User, from_message
from bot.core.payloads import Language

CHANNEL = "terminal"


def show(replies: list[Reply]) -> list[Button]:
    """Print the replies and number their buttons. A reply that `replaces` the one whose button was
    pressed (toggles redrawn) is printed again in full: a terminal cannot change what it printed."""
    choices: list[Button] = []
    for reply in replies:
        if not isinstance(reply, Text):
            print(f"📍 {reply.title}: {reply.address} ({reply.latitude:.5f}, {reply.longitude:.5f})")
            continue
        print("\n".join(x for x in (reply.title and f"== {reply.title} ==", reply.text) if x))
        if reply.request:
            print(f"   ({reply.request_label}: not available in a terminal)")
        for row in reply.buttons:
            for button in row:
                choices.append(button)
                print(f"   [{len(choices)}] {button.label}")
    print(flush=True)
    return choices


class Printer:
    """The outbox's sender for the terminal: staff replies are printed when they arrive."""

    async def send(self, chat_id: str, message: dict[str, Any], reply_to: str | None) -> str:
        show([from_message(message)])
        return "printed"


async def chat(conversation: Conversation, lang: str | None = None) -> None:
    user = User(CHANNEL, "local", None, lang)
    interactive = sys.stdin.isatty()
    # `--lang` is the person's choice, so it holds like the language button does.
    first = Event(user, payload=Language(lang).pack()) if lang else Event(user, text="/start")
    choices = show(await conversation.handle(first))
    while True:
        line = await asyncio.to_thread(_read, "> " if interactive else "")
        if line is None:
            return
        line = line.strip()
        if line.isdigit() and 1 <= int(line) <= len(choices):
            event = Event(user, payload=choices[int(line) - 1].payload)
        else:
            event = Event(user, text=line)
        choices = show(await conversation.handle(event))


def _read(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None
