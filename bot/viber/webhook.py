"""The Viber webhook: checks the signature, parses with viberbot, handles each message once."""

import hashlib
import hmac
import json
import logging
import time
from typing import Any

from aiohttp import web
from viberbot.api.messages import ContactMessage, LocationMessage, TextMessage
from viberbot.api.messages.data_types.location import Location
from viberbot.api.user_profile import UserProfile
from viberbot.api.viber_requests import (
    EVENT_TYPE_TO_CLASS,
    ViberConversationStartedRequest,
    ViberMessageRequest,
    ViberRequest,
    ViberSubscribedRequest,
    ViberUnsubscribedRequest,
    create_request,
)

from bot.core.conversation import Conversation, sorry
from bot.core.events import Event, Text, User
from bot.core.state import UPDATES_KEPT, WEBHOOK_CLAIM, Claim
from bot.viber.client import ViberClient
from bot.viber.render import MIN_API_VERSION, PAYLOAD_PREFIX, keyboard
from catalog.geo import valid

log = logging.getLogger(__name__)
PATH = "/viber"
CHANNEL = "viber"
KEY_LENGTH = 100  # of the columns a user id and a message token are stored in
# An event older than this is refused as a replay: its de-duplication record (kept UPDATES_KEPT)
# may be gone. Viber redelivers for a few hours; a clock ahead by minutes is allowed.
MAX_AGE = UPDATES_KEPT / 2
MAX_AHEAD = 600.0  # seconds


def too_old(data: dict[str, Any], now: float | None = None) -> bool:
    """Whether an event's `timestamp` (milliseconds) is outside the window it can be trusted in."""
    stamp = data.get("timestamp")
    if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
        return True
    now = time.time() if now is None else now
    return not now - MAX_AGE.total_seconds() <= stamp / 1000 <= now + MAX_AHEAD


def signature(token: str, body: bytes) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def user_of(profile: UserProfile) -> User:
    return User(CHANNEL, profile.id, _text(profile.name), _text(profile.language))


def _point(location: Location | None) -> tuple[float, float] | None:
    point = (location.latitude, location.longitude) if location else None
    if point and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in point) and valid(*point):
        return point
    return None


def event_of(request: ViberMessageRequest) -> Event:
    """What the core reads; anything else (stickers, pictures, files, a location off the Earth)
    is an empty event, which the core answers politely."""
    user, message = user_of(request.sender), request.message
    if isinstance(message, TextMessage):
        text = _text(message.text) or ""
        if text.startswith(PAYLOAD_PREFIX):
            return Event(user, payload=text[len(PAYLOAD_PREFIX) :])
        return Event(user, text=text)
    if isinstance(message, LocationMessage) and (point := _point(message.location)):
        return Event(user, location=point)
    if isinstance(message, ContactMessage) and message.contact and _text(message.contact.phone_number):
        return Event(user, contact=message.contact.phone_number)
    return Event(user)


PERSONAL = (ViberMessageRequest, ViberConversationStartedRequest, ViberSubscribedRequest, ViberUnsubscribedRequest)


def person(event: ViberRequest) -> object:
    """The id of the person a PERSONAL event is from, as sent."""
    if isinstance(event, ViberMessageRequest):
        return event.sender.id
    if isinstance(event, ViberUnsubscribedRequest):
        return event.user_id
    return event.user.id


def parse(body: bytes) -> tuple[dict[str, Any], ViberRequest | None]:
    """The request as viberbot reads it (None for an event this bot does not handle); ValueError
    when it is not what Viber sends."""
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    name = data.get("event")
    if not isinstance(name, str) or name not in EVENT_TYPE_TO_CLASS:
        return data, None
    try:
        event = create_request(data)
    except Exception as error:  # viberbot raises bare Exceptions, and whatever wrong types cause
        raise ValueError(f"{type(error).__name__}: {error}") from error
    token = data.get("message_token")
    if token is not None and not (isinstance(token, (int, str)) and len(str(token)) <= KEY_LENGTH):
        raise ValueError("bad message_token")
    if isinstance(event, PERSONAL):
        who = person(event)
        if not isinstance(who, str) or not 0 < len(who) <= KEY_LENGTH:
            raise ValueError("no user id")
    return data, event


class ViberWebhook:
    def __init__(self, client: ViberClient, conversation: Conversation):
        self.client = client
        self.conversation = conversation

    def register(self, http: web.Application) -> None:
        http.router.add_post(PATH, self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        given = request.headers.get("X-Viber-Content-Signature", "")
        if not hmac.compare_digest(given.encode(errors="replace"), signature(self.client.token, body).encode()):
            return web.Response(status=403, text="bad signature")
        try:
            data, event = parse(body)
        except (ValueError, RecursionError) as error:
            return web.Response(status=400, text=f"malformed request: {type(error).__name__}")
        if event is None:
            return web.Response(text="ignored")  # an event this bot does not handle
        token = data.get("message_token")
        if token is not None and too_old(data):
            log.info("a Viber event outside its time window was refused")
            return web.Response(text="too old")  # 200: a replay, or a delivery never to be tried again
        try:
            if token is None:  # an event without one is not delivered again
                return await self._dispatch(event)
            async with self.conversation.once(CHANNEL, str(token), WEBHOOK_CLAIM) as claim:
                if claim is Claim.HANDLED:
                    return web.Response(text="already handled")
                if claim is Claim.BUSY:  # on another worker; if that one dies, the next delivery takes over
                    return web.Response(status=503, text="being handled; try again")
                return await self._dispatch(event)
        except Exception:  # the claim was dropped: Viber delivers it again
            log.exception("could not handle a Viber event")
            return web.Response(status=500, text="try again")

    async def _dispatch(self, event: ViberRequest) -> web.StreamResponse:
        if isinstance(event, ViberConversationStartedRequest):
            # Before subscribing, a person can receive one message: the webhook's answer.
            replies = await self.conversation.handle(Event(user_of(event.user), text="/start"))
            texts = [r.text for r in replies if isinstance(r, Text)]
            welcome = TextMessage(text="\n\n".join(texts), keyboard=keyboard(replies), min_api_version=MIN_API_VERSION)
            return web.json_response({**welcome.to_dict(), "sender": self.client.sender})
        if isinstance(event, ViberSubscribedRequest):
            await self.conversation.subscribed(user_of(event.user), True)
        if isinstance(event, ViberUnsubscribedRequest):  # it has only the user's id
            await self.conversation.subscribed(User(CHANNEL, event.user_id), False)
        if isinstance(event, ViberMessageRequest):
            incoming = event_of(event)
            try:
                replies = await self.conversation.handle(incoming)
            except Exception:
                log.exception("could not answer a Viber message")
                replies = [sorry(incoming.user)]
            await self.client.send_replies(incoming.user.id, replies)
        return web.Response(text="ok")
