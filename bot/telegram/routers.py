"""aiogram routers: private chats, staff groups and button presses, turned into core events."""

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Contact, Location, Message
from aiogram.types import User as TelegramUser

from bot.core.conversation import Conversation, sorry
from bot.core.events import Event, User
from bot.telegram.render import send
from catalog.geo import valid

log = logging.getLogger(__name__)
CHANNEL = "telegram"
GROUPS = ("group", "supergroup")


# Filters are coroutines: aiogram runs a plain function (and a magic filter, F.…) in a thread of
# its pool, a thread hop for each filter of each update (a tenth of a worker's time under load).
# A filter's dict is handed to the handler by its keys.


async def private(message: Message) -> dict[str, Any] | bool:
    return message.chat.type == "private" and message.from_user is not None and {"sender": message.from_user}


async def in_group(message: Message) -> dict[str, Any] | bool:
    return (
        message.chat.type in GROUPS
        and message.from_user is not None
        and bool(message.text)
        and {"sender": message.from_user}
    )


async def located(message: Message) -> dict[str, Any] | bool:
    return message.location is not None and {"located": message.location}


async def shared(message: Message) -> dict[str, Any] | bool:
    return message.contact is not None and {"shared": message.contact}


def user_of(sender: TelegramUser) -> User:
    """The person as Telegram gives them; their full name is what colleagues read ("taken by …")."""
    return User(CHANNEL, str(sender.id), sender.full_name, sender.language_code)


def replied(message: Message) -> str | None:
    return str(message.reply_to_message.message_id) if message.reply_to_message else None


async def reply(
    bot: Bot, conversation: Conversation, chat_id: int, event: Event, pressed_on: int | None = None
) -> None:
    """Answer an event; `pressed_on`: the message whose button was pressed, which a reply may replace."""
    try:
        replies = await conversation.handle(event)
    except Exception:
        # The person must never be left without an answer (the database may be away).
        log.exception("could not handle a Telegram update")
        replies = [sorry(event.user)]
    await send(bot, chat_id, replies, pressed_on=pressed_on)


def messages_router() -> Router:
    """Citizens (and staff members working in their own private chat)."""
    router = Router(name="messages")
    router.message.filter(private)

    @router.message(located)
    async def location(
        message: Message, sender: TelegramUser, located: Location, bot: Bot, conversation: Conversation
    ) -> None:
        point = (located.latitude, located.longitude)
        # A point off the Earth is a message the core cannot read, and answers politely.
        await reply(
            bot,
            conversation,
            message.chat.id,
            Event(user_of(sender), location=point if valid(*point) else None),
        )

    @router.message(shared)
    async def contact(
        message: Message, sender: TelegramUser, shared: Contact, bot: Bot, conversation: Conversation
    ) -> None:
        own = shared.user_id == sender.id  # only the person's own number
        await reply(
            bot,
            conversation,
            message.chat.id,
            Event(
                user_of(sender),
                contact=shared.phone_number if own else None,
                text=None if own else "",
            ),
        )

    @router.message()
    async def text(message: Message, sender: TelegramUser, bot: Bot, conversation: Conversation) -> None:
        await reply(
            bot,
            conversation,
            message.chat.id,
            Event(user_of(sender), text=message.text or message.caption, reply_to=replied(message)),
        )

    return router


def staff_groups_router() -> Router:
    """Staff groups: commands and replies to request cards; other chatter is ignored by the core."""
    router = Router(name="staff_groups")
    router.message.filter(in_group)

    @router.message()
    async def staff_message(message: Message, sender: TelegramUser, bot: Bot, conversation: Conversation) -> None:
        await reply(
            bot,
            conversation,
            message.chat.id,
            Event(user_of(sender), text=message.text, chat=str(message.chat.id), reply_to=replied(message)),
        )

    return router


def buttons_router() -> Router:
    router = Router(name="buttons")

    @router.callback_query()
    async def pressed(
        query: CallbackQuery, bot: Bot, conversation: Conversation, answered_in_response: bool = False
    ) -> None:
        if not answered_in_response:  # polling: stop the button's spinner, whatever happens next
            try:
                await query.answer()
            except TelegramAPIError as error:  # e.g. "query is too old" when Telegram delivers it again
                log.warning("could not answer a button press: %s", error)
        chat = query.message.chat if query.message else None
        chat_id = chat.id if chat else query.from_user.id
        group = str(chat.id) if chat and chat.type in GROUPS else None
        # An inaccessible message (deleted, or too old for the Bot API to show) is not edited.
        on = query.message.message_id if isinstance(query.message, Message) else None
        await reply(
            bot,
            conversation,
            chat_id,
            Event(user_of(query.from_user), payload=query.data or "", chat=group),
            pressed_on=on,
        )

    return router
