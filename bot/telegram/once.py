"""Each Telegram update is handled once, across restarts and workers sharing one database, as the
Viber webhook does with message_token: the update_id is recorded before handling, and
un-recorded if handling fails, so that Telegram's next delivery of it is handled then."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update

from bot.core.state import StateStore

log = logging.getLogger(__name__)
CHANNEL = "telegram"


class Once(BaseMiddleware):
    """An outer middleware on updates."""

    def __init__(self, states: StateStore):
        self.states = states

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        key = str(event.update_id)
        if not await self.states.first_time(CHANNEL, key):
            log.info("Telegram update %s was handled before", key)
            return UNHANDLED
        try:
            return await handler(event, data)
        except Exception:
            await self.states.forget_update(CHANNEL, key)
            raise
