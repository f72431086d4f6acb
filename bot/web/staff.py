"""The staff view at /staff: the open requests of every queue, to take, answer, note and close
from a browser. It is one staff chat ("web", "staff") bound to every queue, opened with a
token printed at start-up; new requests reach it through the outbox like any staff chat."""

import hashlib
import hmac
from typing import Any

from aiohttp import web

from bot.core import staffdesk, verification
from bot.core.dialogs.common import Services
from bot.core.i18n import Translator, language
from bot.core.payloads import Verify
from bot.core.staff import Staff
from bot.helpdesk.desk import AccessDenied, Closed, NotFound
from bot.helpdesk.models import HelpRequest
from bot.web.chat import CHANNEL, INBOX_WAIT, STATIC, message_json, reply_json
from bot.web.guard import CSRF_HEADER, BadBody, read_json, secure
from bot.web.inbox import WebInbox
from bot.web.sessions import STAFF_LIFETIME, Sessions, csrf_token
from catalog.texts import pick

CHAT = "staff"
STAFF_USER = "staff"  # who types corrections in the staff view
COOKIE = "opora_staff"
MAX_TEXT = 4000
MAX_BODY = 64 * 1024
MAX_NUMBER = 2**31  # request numbers are database integers; anything bigger is no request


class StaffView:
    def __init__(self, services: Services, inbox: WebInbox, token: str, sessions: Sessions):
        self.services = services
        self.inbox = inbox
        self.sessions = sessions
        self._key = hashlib.sha256(token.encode()).digest()

    def register(self, http: web.Application) -> None:
        http.router.add_get("/staff", self.page)
        http.router.add_post("/staff/login", self.login)
        http.router.add_post("/staff/logout", self.logout)
        http.router.add_get("/staff/api/requests", self.requests)
        http.router.add_post(r"/staff/api/requests/{id:\d+}/{action:take|close|reply|note}", self.act)
        http.router.add_get("/staff/api/inbox", self.poll)
        http.router.add_get("/staff/api/offices", self.offices)
        http.router.add_post(r"/staff/api/offices/{id:\d+}", self.check)

    async def page(self, request: web.Request) -> web.StreamResponse:
        if token := request.query.get("token"):  # the link printed at start-up
            return await self._log_in(request, token)
        return web.FileResponse(STATIC / ("staff.html" if await self._allowed(request) else "staff-login.html"))

    async def login(self, request: web.Request) -> web.StreamResponse:
        return await self._log_in(request, str((await request.post()).get("token", ""))[:200])

    async def logout(self, request: web.Request) -> web.StreamResponse:
        await self.sessions.end(request.cookies.get(COOKIE))  # the cookie stops working everywhere
        response = _see("/staff")
        response.del_cookie(COOKIE, path="/staff")
        return response

    async def requests(self, request: web.Request) -> web.Response:
        if not await self._allowed(request):
            return web.json_response({"error": "log in"}, status=401)
        _ = self._translator(request)
        desk = self.services.desk
        open_ = await desk.open_requests(CHANNEL, CHAT)
        queues = []
        for queue in await desk.queues():
            mine = [r for r in open_ if r.queue_id == queue.id]
            queues.append(
                {
                    "id": queue.id,
                    "name": pick(queue.name, _.lang) or queue.id,
                    "requests": [await self._request_json(r, _) for r in mine],
                }
            )
        session = request.cookies.get(COOKIE)
        return web.json_response({"queues": queues, **({"csrf": csrf_token(session)} if session else {})})

    async def act(self, request: web.Request) -> web.Response:
        if not await self._allowed(request):
            return web.json_response({"error": "log in"}, status=401)
        _ = self._translator(request)
        if refused := self._forged(request, _):
            return refused
        number, action = int(request.match_info["id"]), request.match_info["action"]
        if not 0 < number < MAX_NUMBER:
            return web.json_response({"error": staffdesk.refusal(_, NotFound(number))}, status=404)
        desk, services = self.services.desk, self.services
        text = ""
        if action in ("reply", "note"):
            try:
                body = await read_json(request, MAX_BODY)
                text = str(body.get("text", "")).strip() if isinstance(body, dict) else ""
            except BadBody:
                pass
            if not text or len(text) > MAX_TEXT:
                return web.json_response(
                    {"error": _("Write the text first (at most %(n)d characters).", n=MAX_TEXT)}, status=400
                )
        try:
            if action == "take":
                await desk.take(number, CHANNEL, CHAT, notify=staffdesk.notice(services, "taken"))
                done = _("Request No. %(n)d is yours.", n=number)
            elif action == "close":
                await desk.close(number, CHANNEL, CHAT, notify=staffdesk.notice(services, "closed"))
                done = _("Request No. %(n)d is closed.", n=number)
            elif action == "reply":
                await desk.reply(number, CHANNEL, CHAT, text, relay=staffdesk.notice(services, "answered", text))
                done = _("Sent to the citizen (request No. %(n)d).", n=number)
            else:
                await desk.note(number, CHANNEL, CHAT, text)
                done = _("Note saved. The citizen does not see it.")
        except (NotFound, AccessDenied, Closed) as error:
            return web.json_response({"error": staffdesk.refusal(_, error)}, status=409)
        return web.json_response({"message": done})

    async def offices(self, request: web.Request) -> web.Response:
        """The offices whose facts staff are asked to confirm or correct, as the question each."""
        if not await self._allowed(request):
            return web.json_response({"error": "log in"}, status=401)
        _ = self._translator(request)
        found = []
        for asked in await self.services.desk.verifications.of_chat(CHANNEL, CHAT):
            question = await verification.question(self.services, asked, _.lang)
            found.append(
                {
                    "id": asked.id,
                    "status": asked.status,
                    "location": asked.location_id,
                    "question": reply_json(question),
                }
            )
        return web.json_response({"offices": found})

    async def check(self, request: web.Request) -> web.Response:
        """An office's question answered: {"payload": "sv:…"} (its buttons) or {"text": …} (the
        correction typed after ✏ Correct). The replies are what a staff chat would read."""
        if not await self._allowed(request):
            return web.json_response({"error": "log in"}, status=401)
        _ = self._translator(request)
        if refused := self._forged(request, _):
            return refused
        number = int(request.match_info["id"])
        if not 0 < number < MAX_NUMBER:
            return web.json_response({"error": _(verification.MISSING)}, status=409)
        try:
            body = await read_json(request, MAX_BODY)
        except BadBody:
            body = None
        body = body if isinstance(body, dict) else {}
        payload, text = body.get("payload"), str(body.get("text") or "").strip()
        try:
            pressed = Verify.unpack(payload) if isinstance(payload, str) else None
            if pressed is not None and pressed.verification == number:
                replies = await verification.press(
                    self.services, pressed.pack(), CHANNEL, CHAT, STAFF_USER, None, _.lang
                )
            elif text and len(text) <= MAX_TEXT:
                asked = await self.services.desk.verifications.get(number, CHANNEL, CHAT)
                if asked.status not in ("fixing", "proposed"):
                    await verification.press(
                        self.services, Verify("fix", number).pack(), CHANNEL, CHAT, STAFF_USER, None, _.lang
                    )
                    asked = await self.services.desk.verifications.get(number, CHANNEL, CHAT)
                replies = await verification.typed(self.services, asked, text, _.lang)
            else:
                return web.json_response(
                    {"error": _("Write the text first (at most %(n)d characters).", n=MAX_TEXT)}, status=400
                )
        except (NotFound, ValueError):
            return web.json_response({"error": _(verification.MISSING)}, status=409)
        return web.json_response({"replies": [reply_json(r) for r in replies]})

    async def poll(self, request: web.Request) -> web.Response:
        if not await self._allowed(request):
            return web.json_response({"error": "log in"}, status=401)
        try:
            after = max(0, int(request.query.get("after", "0")))
        except ValueError:
            after = 0
        found = await self.inbox.wait(CHAT, after, INBOX_WAIT)
        return web.json_response({"messages": [{"id": m.id, "replies": [message_json(m.message)]} for m in found]})

    async def _request_json(self, request: HelpRequest, _: Translator) -> dict[str, Any]:
        staff = await Staff(self.services, request.queue_id).load(_.lang)
        topic = _("Other question")
        if request.service_id and (found := await self.services.directory.card(request.service_id)):
            topic = pick(found.name, _.lang) or request.service_id
        return {
            "id": request.id,
            "status": request.status,
            "status_label": _(staffdesk.STATUS[request.status]),
            "created": staff.when(request.created_at),
            "topic": topic,
            "language": staffdesk.language_name(_, request.language),
            "phone": request.phone,
            "unreachable": request.citizen_unreachable,
            "location": [request.latitude, request.longitude] if request.latitude is not None else None,
            "messages": [
                {"author": m.author, "text": m.text or "", "when": staff.when(m.created_at)}
                for m in await self.services.desk.messages(request.id)
            ],
        }

    def _translator(self, request: web.Request) -> Translator:
        return Translator(
            language(request.query.get("lang"))
            or language(request.headers.get("Accept-Language"))
            or self.services.default_language
        )

    def _forged(self, request: web.Request, _: Translator) -> web.Response | None:
        """A change by cookie without this session's CSRF token: refused (API clients with the
        token itself in Authorization need none)."""
        if self._bearer(request) or request.headers.get(CSRF_HEADER) == csrf_token(request.cookies.get(COOKIE, "")):
            return None
        return web.json_response(
            {"error": _("This request did not come from Opora's own page. Please reload the page.")}, status=403
        )

    @staticmethod
    def _bearer(request: web.Request) -> str:
        return request.headers.get("Authorization", "").removeprefix("Bearer ").strip()

    def _right(self, token: str) -> bool:
        return hmac.compare_digest(hashlib.sha256(token.encode()).digest(), self._key)

    async def _allowed(self, request: web.Request) -> bool:
        """A staff session the server issued and has not ended, or the token itself (API clients)."""
        if bearer := self._bearer(request):
            return await self._attempt(request, bearer)
        return await self.sessions.staff_valid(request.cookies.get(COOKIE))

    async def _attempt(self, request: web.Request, token: str) -> bool:
        """The token, checked unless this address (or everyone) has guessed wrong too often."""
        address = request.remote or "?"
        limits = self.services.limits  # wrong tokens: a few per address, not many from everywhere
        if not (
            await limits.open("staff log-in failures", address)
            and await limits.open("staff log-in failures, all", "all")
        ):
            return False
        if self._right(token):
            return True
        await limits.count("staff log-in failures", address)
        await limits.count("staff log-in failures, all", "all")
        return False

    async def _log_in(self, request: web.Request, token: str) -> web.StreamResponse:
        if not await self._attempt(request, token):
            return _see("/staff?error=1")
        await self.sessions.end(request.cookies.get(COOKIE))  # a new session at every log-in
        response = _see("/staff")
        response.set_cookie(
            COOKIE,
            await self.sessions.staff(),
            httponly=True,
            samesite="Strict",
            path="/staff",
            secure=secure(request),
            max_age=int(STAFF_LIFETIME.total_seconds()),
        )
        return response


def _see(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})
