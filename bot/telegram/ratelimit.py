"""Every message Opora sends to Telegram waits for the shared rate limits first, whether it is a
direct answer or an outbox delivery."""

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.coordination import RateLimits


class RateLimited(BaseRequestMiddleware):
    def __init__(self, limits: RateLimits):
        self.limits = limits

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        chat_id = getattr(method, "chat_id", None)
        if chat_id is not None and type(method).__name__.startswith("Send"):
            await self.limits.wait(str(chat_id), group=str(chat_id).startswith("-"))  # groups have ids below 0
        return await make_request(bot, method)
