"""Delivering outbox messages over Telegram, with its errors told apart for the retry policy."""

from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter

from bot.core.events import from_message
from bot.helpdesk.outbox import RetryLater, Unreachable
from bot.telegram.ratelimit import PLACE_TAKEN, RateLimited
from bot.telegram.render import send


class TelegramSender:
    def __init__(self, bot: Bot, limits: RateLimited | None = None):
        self.bot = bot
        self.limits = limits  # without, the session's middleware (if any) waits for each message

    async def send(self, chat_id: str, message: dict[str, Any], reply_to: str | None) -> str:
        if self.limits is not None:
            if wait := await self.limits.try_take(chat_id):
                raise RetryLater(wait)  # this chat's turn comes later; the others go on meanwhile
            PLACE_TAKEN.set(True)  # in this task only: the outbox delivers each row in a task of its own
        try:
            sent = await send(
                self.bot, int(chat_id), [from_message(message)], reply_to=int(reply_to) if reply_to else None
            )
        except TelegramRetryAfter as error:
            raise RetryLater(error.retry_after) from error
        except TelegramForbiddenError as error:  # blocked by the person, or removed from the group
            raise Unreachable(error.message) from error
        except TelegramBadRequest as error:
            if "chat not found" in error.message.lower():
                raise Unreachable(error.message) from error
            raise
        return str(sent[-1])
