"""Talking to the Viber REST API with aiohttp, so that sending never blocks the event loop
(viberbot's own Api posts with `requests`, synchronously)."""

from typing import Any

import aiohttp
from viberbot.api.messages import LocationMessage, TextMessage

from bot.core.events import Reply, from_message
from bot.helpdesk.outbox import RetryLater, Unreachable
from bot.viber.render import messages

# Viber status codes: https://developers.viber.com/docs/api/rest-bot-api/#error-codes
UNREACHABLE = {5: "receiver not registered", 6: "receiver not subscribed", 11: "no suitable device"}
TOO_MANY_REQUESTS = 12
EVENT_TYPES = ["delivered", "failed", "subscribed", "unsubscribed", "conversation_started"]


class ViberError(Exception):
    pass


class ViberClient:
    def __init__(self, api_url: str, token: str, name: str, avatar: str | None = None):
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.sender = {"name": name, **({"avatar": avatar} if avatar else {})}
        self.session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self.session:
            await self.session.close()

    async def post(self, endpoint: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        async with self.session.post(
            f"{self.api_url}/{endpoint}", json=payload, headers={"X-Viber-Auth-Token": self.token}
        ) as response:
            if response.status == 429:
                raise RetryLater(float(response.headers.get("Retry-After", 1)))
            response.raise_for_status()
            result: dict[str, Any] = await response.json(content_type=None)
        status = result.get("status", 0)
        if status in UNREACHABLE:
            raise Unreachable(UNREACHABLE[status])
        if status == TOO_MANY_REQUESTS:
            raise RetryLater(1.0)
        if status != 0:
            raise ViberError(f"{endpoint}: status {status}: {result.get('status_message')}")
        return result

    def payload(self, receiver: str, message: TextMessage | LocationMessage) -> dict[str, Any]:
        return {**message.to_dict(), "receiver": receiver, "sender": self.sender}

    async def send_replies(self, receiver: str, replies: list[Reply]) -> list[str]:
        tokens = []
        for message in messages(replies):
            result = await self.post("send_message", self.payload(receiver, message))
            tokens.append(str(result.get("message_token", "")))
        return tokens

    async def send(self, chat_id: str, message: dict[str, Any], reply_to: str | None) -> str:
        """The outbox sender: Viber has no replies to a message, so `reply_to` is not used."""
        return (await self.send_replies(chat_id, [from_message(message)]))[-1]

    async def set_webhook(self, url: str) -> None:
        await self.post("set_webhook", {"url": url, "event_types": EVENT_TYPES, "send_name": True, "send_photo": False})
