"""How long answers are, and in how many messages they arrive, per channel.

    PYTHONPATH=. .venv/bin/python bench/card_length.py [--show] ["question" …]

For each question (by default the four of issue 18) the core answers once, in-process on a fresh
SQLite catalogue, and each channel's own renderer turns the replies into what it would send:
Telegram's sendMessage/sendVenue calls (bot/telegram/render.py), Viber's messages
(bot/viber/render.py), the web chat's reply bubbles (bot/web/chat.py) and the terminal's lines
(bot/terminal.py). Printed per channel: the number of messages, the characters of each (len() of
the text sent, title and markup included) and of the first service card. `--show` prints the
answer as the terminal shows it."""

import argparse
import asyncio
import contextlib
import datetime as dt
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_app, build_conversation, build_engine, ensure_catalog
from bot.core.events import Event, Reply, Text, User
from bot.settings import Settings
from bot.telegram import render as telegram
from bot.terminal import show
from bot.viber import render as viber
from bot.web.chat import reply_json

QUESTIONS = ["топъл обяд Казанлък", "терцентр Краматорська в Києві", "психолог Київ", "патронаж Самоков"]
MONDAY_MORNING = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # as in the tests


def telegram_messages(replies: list[Reply]) -> list[str]:
    sent = []
    for reply in replies:
        sent += [f"[venue] {reply.title}"] if not isinstance(reply, Text) else telegram.split(telegram.html(reply))
    return sent


def viber_messages(replies: list[Reply]) -> list[str]:
    return [getattr(m, "text", None) or "[location]" for m in viber.messages(replies)]


def web_bubbles(replies: list[Reply]) -> list[str]:
    bubbles = []
    for reply in replies:
        json = reply_json(reply)
        bubbles.append("\n".join(x for x in (json.get("title"), json.get("text") or json.get("address")) if x))
    return bubbles


def terminal_text(replies: list[Reply]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        show(replies)
    return out.getvalue()


def first_card(message: str) -> str:
    """The first service card of a message as sent: the whole message when it is one card, else
    its first numbered card (from "1️⃣" to the blank line after it)."""
    start = message.find("1️⃣")
    if start == -1:
        return message
    end = message.find("\n\n", start)
    return message[start : end if end != -1 else len(message)]


def card_message(messages: list[str]) -> str:
    """The first message that shows a service card (📰 or ✔ says where its facts come from)."""
    return next((m for m in messages if "📰" in m or "✔" in m), "")


async def main(questions: list[str], show_text: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = await build_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"))
        await ensure_catalog(app)
        conversation = build_conversation(app, await build_engine(app), now=lambda: MONDAY_MORNING)
        print(f"{'question':34} {'channel':9} {'msgs':>4} {'chars':>6} {'first card':>10}  characters per message")
        for n, question in enumerate(questions):
            language = "bg" if any(c in question for c in "ъЪ") else "uk"
            user = User("bench", f"asker-{n}", None, language)
            await conversation.handle(Event(user, payload=f"lang:{language}"))
            replies = await conversation.handle(Event(user, text=question))
            for channel, messages in (
                ("telegram", telegram_messages(replies)),
                ("viber", viber_messages(replies)),
                ("web", web_bubbles(replies)),
            ):
                sizes = [len(m) for m in messages]
                card = len(first_card(card_message(messages)))
                print(
                    f"{question[:34]:34} {channel:9} {len(messages):4} {sum(sizes):6} {card:10}  "
                    + " ".join(map(str, sizes))
                )
            print(f"{'':34} {'terminal':9} {'':4} {len(terminal_text(replies)):6}")
            if show_text:
                print(terminal_text(replies))
        await app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", default=QUESTIONS)
    parser.add_argument("--show", action="store_true", help="print the answers as the terminal shows them")
    args = parser.parse_args()
    asyncio.run(main(args.questions, args.show))
