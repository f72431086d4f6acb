"""The Viber webhook: checks the signature, parses with viberbot, handles each message once."""

import hashlib
import hmac
import json
import logging

from aiohttp import web
from viberbot.api.messages import ContactMessage, LocationMessage, TextMessage
from viberbot.api.viber_requests import (
    ViberConversationStartedRequest, ViberMessageRequest, ViberSubscribedRequest,
    ViberUnsubscribedRequest, create_request,
)
from viberbot.api.viber_requests import EVENT_TYPE_TO_CLASS

from bot.core.conversation import Conversation, sorry
from bot.core.events import Event, Text, User
from bot.viber.client import ViberClient
from bot.viber.render import MIN_API_VERSION, PAYLOAD_PREFIX, keyboard

log = logging.getLogger(__name__)
PATH = "/viber"
CHANNEL = "viber"


def signature(token: str, body: bytes) -> str:
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def user_of(profile) -> User:
    return User(CHANNEL, profile.id, profile.name, profile.language)


def event_of(request: ViberMessageRequest) -> Event:
    user, message = user_of(request.sender), request.message
    if isinstance(message, TextMessage):
        text = message.text or ""
        if text.startswith(PAYLOAD_PREFIX):
            return Event(user, payload=text[len(PAYLOAD_PREFIX):])
        return Event(user, text=text)
    if isinstance(message, LocationMessage) and message.location:
        return Event(user, location=(message.location.latitude, message.location.longitude))
    if isinstance(message, ContactMessage) and message.contact:
        return Event(user, contact=message.contact.phone_number)
    return Event(user)  # stickers, pictures, files: the core answers what it can read


class ViberWebhook:
    def __init__(self, client: ViberClient, conversation: Conversation):
        self.client = client
        self.conversation = conversation

    def register(self, http: web.Application) -> None:
        http.router.add_post(PATH, self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        given = request.headers.get("X-Viber-Content-Signature", "")
        if not hmac.compare_digest(given.encode(), signature(self.client.token, body).encode()):
            return web.Response(status=403, text="bad signature")
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            if data.get("event") not in EVENT_TYPE_TO_CLASS:
                return web.Response(text="ignored")  # an event this bot does not handle
            event = create_request(data)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return web.Response(status=400, text=f"malformed request: {type(error).__name__}")
        token = data.get("message_token")
        states = self.conversation.services.states
        if token is not None and not await states.first_time(CHANNEL, str(token)):
            return web.Response(text="already handled")
        try:
            return await self._dispatch(event)
        except Exception:
            log.exception("could not handle a Viber event")
            if token is not None:
                await states.forget_update(CHANNEL, str(token))  # let Viber deliver it again
            return web.Response(status=500, text="try again")

    async def _dispatch(self, event) -> web.StreamResponse:
        if isinstance(event, ViberConversationStartedRequest):
            # Before subscribing, a person can receive one message: the webhook's answer.
            replies = await self.conversation.handle(Event(user_of(event.user), text="/start"))
            texts = [r.text for r in replies if isinstance(r, Text)]
            welcome = TextMessage(text="\n\n".join(texts), keyboard=keyboard(replies), min_api_version=MIN_API_VERSION)
            return web.json_response({**welcome.to_dict(), "sender": self.client.sender})
        if isinstance(event, (ViberSubscribedRequest, ViberUnsubscribedRequest)):
            await self.conversation.services.states.subscribed(
                user_of(event.user), isinstance(event, ViberSubscribedRequest))
            return web.Response(text="ok")
        if isinstance(event, ViberMessageRequest):
            incoming = event_of(event)
            try:
                replies = await self.conversation.handle(incoming)
            except Exception:
                log.exception("could not answer a Viber message")
                replies = [sorry(incoming.user)]
            await self.client.send_replies(incoming.user.id, replies)
        return web.Response(text="ok")
