"""Every message Opora sends to Telegram keeps to the shared rate limits: a direct answer waits
for its place; an outbox delivery takes its place before it is sent, or is put off (RetryLater),
so that the outbox never sleeps on one chat (bot/telegram/sender.py)."""

from contextvars import ContextVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.coordination import RateLimits

# Set while the outbox sends: its place in the limits was taken already (RateLimited.try_take).
PLACE_TAKEN: ContextVar[bool] = ContextVar("place_taken", default=False)


class RateLimited(BaseRequestMiddleware):
    def __init__(self, limits: RateLimits):
        self.limits = limits

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        if chat_id is not None and type(method).__name__.startswith("Send") and not PLACE_TAKEN.get():
            await self.limits.wait(str(chat_id), group=str(chat_id).startswith("-"))  # groups have ids below 0
        return await make_request(bot, method)

    async def try_take(self, chat_id: str) -> float:
        return await self.limits.try_take(chat_id, group=chat_id.startswith("-"))
