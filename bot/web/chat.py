"""The citizen's web chat: the page, a JSON API for messages, and a long poll for what arrives
later (staff replies, status changes). Each browser has its own session, kept in a cookie."""

import hashlib
import logging
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from bot.core.conversation import Conversation, sorry
from bot.core.events import Event, Reply, Text, User, Venue
from bot.core.i18n import Translator, language
from bot.web.guard import CSRF_HEADER, BadBody, read_json, secure
from bot.web.inbox import WebInbox
from bot.web.sessions import Sessions, csrf_token
from bot.web.ui import labels
from catalog.geo import valid

log = logging.getLogger(__name__)
AnyResponse = TypeVar("AnyResponse", bound=web.StreamResponse)
CHANNEL = "web"
COOKIE = "opora_web"
STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 256 * 1024  # JSON may escape each Cyrillic letter as six bytes
INBOX_WAIT = 25.0  # seconds a long poll is held open


def reply_json(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Venue):
        return {
            "type": "venue",
            "title": reply.title,
            "address": reply.address,
            "latitude": reply.latitude,
            "longitude": reply.longitude,
        }
    return {
        "type": "text",
        "title": reply.title,
        "text": reply.text,
        "buttons": [
            [
                {"label": b.label, "payload": b.payload} | ({} if b.pressed is None else {"pressed": b.pressed})
                for b in row
            ]
            for row in reply.buttons
        ],
        "request": reply.request,
        "request_label": reply.request_label,
        # It takes the place of the bot message whose button was pressed (a list of toggles redrawn).
        "replaces": reply.replaces,
    }


def message_json(message: dict[str, Any]) -> dict[str, Any]:
    """An outbox message (see `to_message`) as a reply."""
    return reply_json(Text(message.get("text", ""), title=message.get("title"))) | {
        "buttons": [
            [{"label": label, "payload": payload} for label, payload in row] for row in message.get("buttons", [])
        ]
    }


class BadMessage(ValueError):
    pass


def _coordinate(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def event_of(user: User, body: object) -> Event:
    """The event a browser sent: exactly one of text, payload or location."""
    if not isinstance(body, dict):
        raise BadMessage("not an object")
    given = [key for key in ("text", "payload", "location") if body.get(key) is not None]
    if len(given) != 1:
        raise BadMessage("give exactly one of text, payload, location")
    value = body[given[0]]
    if given[0] == "location":
        latitude, longitude = (
            (_coordinate(value.get("latitude")), _coordinate(value.get("longitude")))
            if isinstance(value, dict)
            else (None, None)
        )
        if latitude is None or longitude is None or not valid(latitude, longitude):
            raise BadMessage("location needs a latitude and a longitude")
        return Event(user, location=(latitude, longitude))
    if not isinstance(value, str):
        raise BadMessage(f"{given[0]} must be a string")
    return Event(user, text=value) if given[0] == "text" else Event(user, payload=value)


class WebChat:
    def __init__(self, conversation: Conversation, inbox: WebInbox, sessions: Sessions):
        self.conversation = conversation
        self.inbox = inbox
        self.sessions = sessions

    def register(self, http: web.Application) -> None:
        http.router.add_get("/", self.page)
        http.router.add_get("/api/ui", self.ui)
        http.router.add_post("/api/messages", self.message)
        http.router.add_get("/api/inbox", self.poll)
        http.router.add_static("/static", STATIC)

    async def page(self, request: web.Request) -> web.StreamResponse:
        return self._with_session(request, web.FileResponse(STATIC / "chat.html"), self._session(request))

    async def ui(self, request: web.Request) -> web.Response:
        """The page's labels in the session's language (or `lang`, for the staff view), and the
        session's CSRF token for the chat page."""
        page = request.query.get("page", "chat")
        chosen, answer = None, {}
        if page == "chat":
            session = self._session(request)
            chosen = await self.conversation.language_of(self._user(session))
            answer = {"csrf": csrf_token(session)}
        lang = language(request.query.get("lang")) or chosen
        shown = lang or language(request.headers.get("Accept-Language")) or self.conversation.default_language
        response = web.json_response({"language": lang, "ui": labels(page, Translator(shown)), **answer})
        return self._with_session(request, response, session) if page == "chat" else response

    async def message(self, request: web.Request) -> web.Response:
        session = self._session(request)
        user = self._user(session, request.headers.get("Accept-Language"))
        if session != request.cookies.get(COOKIE) or request.headers.get(CSRF_HEADER) != csrf_token(session):
            _ = await self._translator(user)  # not from this session's own page (CSRF), or a made-up session
            return self._error(
                request, 403, _("This request did not come from Opora's own page. Please reload the page."), session
            )
        if not await self.conversation.allow("web-address", request.remote or "?"):
            _ = await self._translator(user)
            return self._error(
                request,
                429,
                _("You are writing faster than I can answer. Please wait a minute, then write again."),
                session,
            )
        try:
            body = await read_json(request, MAX_BODY)
            if isinstance(body, dict) and isinstance(body.get("language"), str):
                user = self._user(session, body["language"][:20])
            event = event_of(user, body)
        except BadBody as bad:
            _ = await self._translator(user)
            if bad.status == 413:
                return self._error(request, 413, _("The message is too long. Please write it shorter."), session)
            return self._error(request, 400, _("Sorry, I could not read that message. Please try again."), session)
        except ValueError:  # not a message
            _ = await self._translator(user)
            return self._error(request, 400, _("Sorry, I could not read that message. Please try again."), session)
        try:
            outcome = await self.conversation.turn(event)
            if outcome.forgotten:
                await self.inbox.forget(user.id)
            chosen = await self.conversation.language_of(user)
        except Exception:
            log.exception("could not answer a web chat message")
            return self._error(request, 503, sorry(user).text, session)
        lang = chosen or language(user.language) or self.conversation.default_language
        return self._with_session(
            request,
            web.json_response(
                {
                    "replies": [reply_json(r) for r in outcome.replies],
                    "language": lang,
                    "ui": labels("chat", Translator(lang)),
                }
            ),
            session,
        )

    async def poll(self, request: web.Request) -> web.Response:
        session = request.cookies.get(COOKIE)
        if session is None or not self.sessions.citizen_valid(session):
            return web.json_response({"messages": []})
        try:
            after = max(0, int(request.query.get("after", "0")))
        except ValueError:
            after = 0
        found = await self.inbox.wait(self._user(session).id, after, INBOX_WAIT)
        return web.json_response({"messages": [{"id": m.id, "replies": [message_json(m.message)]} for m in found]})

    async def _translator(self, user: User) -> Translator:
        """The person's language: the one they chose, else their browser's."""
        try:
            chosen = await self.conversation.language_of(user)
        except Exception:  # the database may be away; the browser's language will do
            chosen = None
        return Translator(chosen or language(user.language) or self.conversation.default_language)

    def _session(self, request: web.Request) -> str:
        """The browser's session, when this server issued it; else a new one (never one the
        client chose: session fixation)."""
        given = request.cookies.get(COOKIE)
        return given if given is not None and self.sessions.citizen_valid(given) else self.sessions.citizen()

    @staticmethod
    def _with_session(request: web.Request, response: AnyResponse, session: str) -> AnyResponse:
        if request.cookies.get(COOKIE) != session:
            response.set_cookie(
                COOKIE, session, httponly=True, samesite="Strict", secure=secure(request), max_age=365 * 24 * 3600
            )
        return response

    @staticmethod
    def _user(session: str, hint: str | None = None) -> User:
        # Only a hash of the cookie is stored, so the database alone cannot be used to join a chat.
        return User(CHANNEL, hashlib.sha256(session.encode()).hexdigest()[:40], None, hint)

    def _error(self, request: web.Request, status: int, text: str, session: str) -> web.Response:
        return self._with_session(request, web.json_response({"error": text}, status=status), session)
