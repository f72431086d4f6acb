"""Delivering outbox messages over Telegram, with its errors told apart for the retry policy."""

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter

from bot.core.events import from_message
from bot.helpdesk.outbox import RetryLater, Unreachable
from bot.telegram.render import send


class TelegramSender:
    def __init__(self, bot: Bot):
        self.bot = bot

    async def send(self, chat_id: str, message: dict, reply_to: str | None) -> str:
        try:
            sent = await send(self.bot, int(chat_id), [from_message(message)],
                              reply_to=int(reply_to) if reply_to else None)
        except TelegramRetryAfter as error:
            raise RetryLater(error.retry_after) from error
        except TelegramForbiddenError as error:  # blocked by the person, or removed from the group
            raise Unreachable(error.message) from error
        except TelegramBadRequest as error:
            if "chat not found" in error.message.lower():
                raise Unreachable(error.message) from error
            raise
        return str(sent[-1])
