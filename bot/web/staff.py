"""The staff view at /staff: the open requests of every queue, to take, answer, note and close
from a browser. It is one staff chat ("web", "staff") bound to every queue, opened with a
token printed at start-up; new requests reach it through the outbox like any staff chat."""

import hashlib
import hmac

from aiohttp import web

from bot.core import staffdesk, verification
from bot.core.dialogs.common import Services
from bot.core.i18n import Translator, language
from bot.helpdesk.desk import AccessDenied, Closed, NotFound
from bot.helpdesk.models import HelpRequest
from bot.web.chat import CHANNEL, INBOX_WAIT, STATIC, message_json, reply_json
from bot.web.inbox import WebInbox
from catalog.texts import pick

CHAT = "staff"
STAFF_USER = "staff"  # who types corrections in the staff view
COOKIE = "opora_staff"
MAX_TEXT = 4000


class StaffView:
    def __init__(self, services: Services, inbox: WebInbox, token: str):
        self.services = services
        self.inbox = inbox
        self._key = hashlib.sha256(token.encode()).hexdigest()  # the cookie holds this, not the token

    def register(self, http: web.Application) -> None:
        http.router.add_get("/staff", self.page)
        http.router.add_post("/staff/login", self.login)
        http.router.add_get("/staff/logout", self.logout)
        http.router.add_get("/staff/api/requests", self.requests)
        http.router.add_post(r"/staff/api/requests/{id:\d+}/{action:take|close|reply|note}", self.act)
        http.router.add_get("/staff/api/inbox", self.poll)
        http.router.add_get("/staff/api/offices", self.offices)
        http.router.add_post(r"/staff/api/offices/{id:\d+}", self.check)

    async def page(self, request: web.Request) -> web.StreamResponse:
        if token := request.query.get("token"):  # the link printed at start-up
            return self._log_in(token)
        return web.FileResponse(STATIC / ("staff.html" if self._allowed(request) else "staff-login.html"))

    async def login(self, request: web.Request) -> web.StreamResponse:
        return self._log_in(str((await request.post()).get("token", "")))

    async def logout(self, request: web.Request) -> web.StreamResponse:
        response = _see("/staff")
        response.del_cookie(COOKIE, path="/staff")
        return response

    async def requests(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.json_response({"error": "log in"}, status=401)
        _ = self._translator(request)
        desk = self.services.desk
        open_ = await desk.open_requests(CHANNEL, CHAT)
        queues = []
        for queue in await desk.queues():
            mine = [r for r in open_ if r.queue_id == queue.id]
            queues.append({"id": queue.id, "name": pick(queue.name, _.lang) or queue.id,
                           "requests": [await self._request_json(r, _) for r in mine]})
        return web.json_response({"queues": queues})

    async def act(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.json_response({"error": "log in"}, status=401)
        _ = self._translator(request)
        number, action = int(request.match_info["id"]), request.match_info["action"]
        desk, services = self.services.desk, self.services
        text = ""
        if action in ("reply", "note"):
            try:
                body = await request.json()
                text = str(body.get("text", "")).strip() if isinstance(body, dict) else ""
            except ValueError:
                pass
            if not text or len(text) > MAX_TEXT:
                return web.json_response({"error": _("Write the text first (at most %(n)d characters).",
                                                     n=MAX_TEXT)}, status=400)
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
        if not self._allowed(request):
            return web.json_response({"error": "log in"}, status=401)
        _ = self._translator(request)
        found = []
        for asked in await self.services.desk.verifications.of_chat(CHANNEL, CHAT):
            question = await verification.question(self.services, asked, _.lang)
            found.append({"id": asked.id, "status": asked.status, "location": asked.location_id,
                          "question": reply_json(question)})
        return web.json_response({"offices": found})

    async def check(self, request: web.Request) -> web.Response:
        """An office's question answered: {"payload": "sv:…"} (its buttons) or {"text": …} (the
        correction typed after ✏ Correct). The replies are what a staff chat would read."""
        if not self._allowed(request):
            return web.json_response({"error": "log in"}, status=401)
        _ = self._translator(request)
        number = int(request.match_info["id"])
        try:
            body = await request.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        payload, text = body.get("payload"), str(body.get("text") or "").strip()
        try:
            if isinstance(payload, str) and payload.startswith(verification.PREFIX) and \
                    payload.split(":")[2:3] == [str(number)]:
                replies = await verification.press(self.services, payload, CHANNEL, CHAT, STAFF_USER, None, _.lang)
            elif text and len(text) <= MAX_TEXT:
                asked = await self.services.desk.verifications.get(number, CHANNEL, CHAT)
                if asked.status not in ("fixing", "proposed"):
                    await verification.press(self.services, f"sv:fix:{number}", CHANNEL, CHAT, STAFF_USER, None,
                                             _.lang)
                    asked = await self.services.desk.verifications.get(number, CHANNEL, CHAT)
                replies = await verification.typed(self.services, asked, text, _.lang)
            else:
                return web.json_response({"error": _("Write the text first (at most %(n)d characters).",
                                                     n=MAX_TEXT)}, status=400)
        except (NotFound, ValueError):
            return web.json_response({"error": _(verification.MISSING)}, status=409)
        return web.json_response({"replies": [reply_json(r) for r in replies]})

    async def poll(self, request: web.Request) -> web.Response:
        if not self._allowed(request):
            return web.json_response({"error": "log in"}, status=401)
        try:
            after = max(0, int(request.query.get("after", "0")))
        except ValueError:
            after = 0
        found = await self.inbox.wait(CHAT, after, INBOX_WAIT)
        return web.json_response({"messages": [{"id": m.id, "replies": [message_json(m.message)]} for m in found]})

    async def _request_json(self, request: HelpRequest, _: Translator) -> dict:
        staff = await staffdesk.Staff(self.services, request.queue_id).load(_.lang)
        topic = _("Other question")
        if request.service_id and (found := await self.services.directory.card(request.service_id)):
            topic = pick(found.name, _.lang) or request.service_id
        return {
            "id": request.id, "status": request.status, "status_label": _(staffdesk.STATUS[request.status]),
            "created": staff.when(request.created_at), "topic": topic,
            "language": staffdesk.LANGUAGE_NAMES.get(request.language, request.language),
            "phone": request.phone, "unreachable": request.citizen_unreachable,
            "location": [request.latitude, request.longitude] if request.latitude is not None else None,
            "messages": [{"author": m.author, "text": m.text or "", "when": staff.when(m.created_at)}
                         for m in await self.services.desk.messages(request.id)]}

    def _translator(self, request: web.Request) -> Translator:
        return Translator(language(request.query.get("lang")) or language(request.headers.get("Accept-Language"))
                          or self.services.default_language)

    def _allowed(self, request: web.Request) -> bool:
        given = request.cookies.get(COOKIE, "")
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if bearer:
            given = hashlib.sha256(bearer.encode()).hexdigest()
        return hmac.compare_digest(given.encode(), self._key.encode())

    def _log_in(self, token: str) -> web.StreamResponse:
        if not hmac.compare_digest(hashlib.sha256(token.encode()).hexdigest().encode(), self._key.encode()):
            return _see("/staff?error=1")
        response = _see("/staff")
        response.set_cookie(COOKIE, self._key, httponly=True, samesite="Strict", path="/staff")
        return response


def _see(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})
