"""Core replies as Telegram messages: HTML-escaped, split under 4,096 characters, with keyboards.

Phone numbers are written in international form in plain text: Telegram apps make them
tappable themselves (the Bot API has no tel: links)."""

from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyParameters,
)

from bot.core.events import Reply, Rows, Text, Venue

MAX_MESSAGE = 4096


def split(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces under the limit, cut at line ends where possible (after escaping, so entities stay whole)."""
    pieces, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                pieces.append(current)
                current = ""
            piece = line[:cut]
            if "&" in piece[-8:]:  # never cut an HTML entity such as &amp; in two
                piece = piece[: piece.rfind("&")]
            pieces.append(piece)
            line = line[len(piece) :].lstrip(" ")
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current or not pieces:
        pieces.append(current)
    return pieces


def inline_keyboard(buttons: Rows) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=b.label, callback_data=b.payload) for b in row] for row in buttons]
    )


def request_keyboard(reply: Text) -> ReplyKeyboardMarkup:
    """The share button, with the reply's other buttons under it: a message has one keyboard,
    and these send their label, which the conversation takes as their press."""
    button = KeyboardButton(
        text=reply.request_label or "📍",
        request_location=reply.request == "location",
        request_contact=reply.request == "contact",
    )
    others = [[KeyboardButton(text=b.label) for b in row] for row in reply.buttons]
    return ReplyKeyboardMarkup(keyboard=[[button], *others], resize_keyboard=True, one_time_keyboard=True)


def html(reply: Text) -> str:
    body = escape(reply.text, quote=False)
    return f"<b>{escape(reply.title, quote=False)}</b>\n{body}" if reply.title else body


async def edit(bot: Bot, chat_id: int, message_id: int, reply: Text) -> bool:
    """Redraw the message whose button was pressed with the reply (`Text.replaces`): a list of
    toggles updated in place rather than posted again. False when it cannot be (too long, a reply
    keyboard, or Telegram refuses: the message is too old or was deleted), to be sent instead."""
    pieces = split(html(reply))
    if len(pieces) > 1 or reply.request:
        return False
    try:
        await bot.edit_message_text(
            pieces[0],
            chat_id=chat_id,
            message_id=message_id,
            parse_mode="HTML",
            reply_markup=inline_keyboard(reply.buttons),
            disable_web_page_preview=True,
        )
    except TelegramBadRequest as error:
        return "not modified" in error.message.lower()  # pressed twice quickly: it already shows this
    return True


async def send(
    bot: Bot, chat_id: int, replies: list[Reply], reply_to: int | None = None, pressed_on: int | None = None
) -> list[int]:
    """Send the replies in order; the first one answers `reply_to` when given. A reply that
    `replaces` edits the message `pressed_on` (the one whose button was pressed) where it can.
    Returns the ids of the messages sent or edited."""
    sent: list[int] = []
    for reply in replies:
        if isinstance(reply, Text) and reply.replaces and pressed_on and await edit(bot, chat_id, pressed_on, reply):
            sent.append(pressed_on)
            pressed_on = None  # one message is replaced, once
            continue
        answer = (
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to and not sent else None
        )
        if isinstance(reply, Venue):
            message = await bot.send_venue(
                chat_id,
                reply.latitude,
                reply.longitude,
                reply.title or "📍",
                reply.address or "—",
                reply_parameters=answer,
            )
            sent.append(message.message_id)
            continue
        pieces = split(html(reply))
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            markup = (request_keyboard(reply) if reply.request else inline_keyboard(reply.buttons)) if last else None
            message = await bot.send_message(
                chat_id,
                piece,
                parse_mode="HTML",
                reply_markup=markup,
                disable_web_page_preview=True,
                reply_parameters=answer,
            )
            sent.append(message.message_id)
            answer = None
    return sent
