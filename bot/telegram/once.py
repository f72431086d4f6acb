"""Each Telegram update is handled once, across restarts and workers sharing one database, as the
Viber webhook does with message_token. The update_id is claimed before handling and marked handled
after; a failed handling drops the claim, so that Telegram's next delivery of the update is handled.
A delivery that finds another worker's claim gets BUSY (the webhook answers 503, and Telegram
delivers it again later); a claim older than `expires` was left by a worker that died, and is taken
over. In polling mode only one process receives updates, so any unfinished claim is a dead one's."""

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update

from bot.core.conversation import Conversation
from bot.core.state import Claim

log = logging.getLogger(__name__)
CHANNEL = "telegram"
BUSY = object()  # what feeding an update returns when another worker is handling it


class Once(BaseMiddleware):
    """An outer middleware on updates."""

    def __init__(self, conversation: Conversation, expires: dt.timedelta = dt.timedelta(0)):
        self.conversation = conversation
        self.expires = expires

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        key = str(event.update_id)
        async with self.conversation.once(CHANNEL, key, self.expires) as claim:
            if claim is Claim.HANDLED:
                log.info("Telegram update %s was handled before", key)
                return UNHANDLED
            if claim is Claim.BUSY:
                log.info("Telegram update %s is being handled by another worker", key)
                return BUSY
            return await handler(event, data)
