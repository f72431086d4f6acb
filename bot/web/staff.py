"""The staff view at /staff: the open requests of the logged-in account's queues, to take,
answer, note and close from a browser. Each account is a staff chat ("web", account.chat) bound
to its queues (bot/web/accounts.py logs in); new requests reach it through the outbox like any
staff chat."""

from typing import Any

from aiohttp import web

from bot.core import staffdesk, verification
from bot.core.dialogs.common import Services
from bot.core.i18n import Translator
from bot.core.payloads import Verify
from bot.core.staff import Staff
from bot.helpdesk.desk import AccessDenied, Closed, NotFound
from bot.helpdesk.models import HelpRequest
from bot.web.accounts import StaffAuth
from bot.web.chat import CHANNEL, INBOX_WAIT, STATIC, message_json, reply_json
from bot.web.guard import BadBody, read_json
from bot.web.inbox import WebInbox
from catalog.texts import pick

MAX_TEXT = 4000
MAX_BODY = 64 * 1024
MAX_NUMBER = 2**31  # request numbers are database integers; anything bigger is no request


class StaffView:
    def __init__(self, services: Services, inbox: WebInbox, auth: StaffAuth):
        self.services = services
        self.inbox = inbox
        self.auth = auth

    def register(self, http: web.Application) -> None:
        http.router.add_get("/staff", self.page)
        http.router.add_get("/staff/api/requests", self.requests)
        http.router.add_post(r"/staff/api/requests/{id:\d+}/{action:take|close|reply|note}", self.act)
        http.router.add_get("/staff/api/inbox", self.poll)
        http.router.add_get("/staff/api/offices", self.offices)
        http.router.add_post(r"/staff/api/offices/{id:\d+}", self.check)

    async def page(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / ("staff.html" if await self.auth.account(request) else "staff-login.html"))

    async def requests(self, request: web.Request) -> web.Response:
        if not (account := await self.auth.account(request)):
            return web.json_response({"error": "log in"}, status=401)
        _ = self.auth.translator(request, account)
        desk = self.services.desk
        open_ = await desk.open_requests(CHANNEL, account.chat)
        queues = []
        bound = set(await desk.staff_queues(CHANNEL, account.chat))
        for queue in [q for q in await desk.queues() if q.id in bound]:
            mine = [r for r in open_ if r.queue_id == queue.id]
            queues.append(
                {
                    "id": queue.id,
                    "name": pick(queue.name, _.lang) or queue.id,
                    "requests": [await self._request_json(r, _) for r in mine],
                }
            )
        return web.json_response({"queues": queues, "csrf": self.auth.csrf(request)})

    async def act(self, request: web.Request) -> web.Response:
        if not (account := await self.auth.account(request)):
            return web.json_response({"error": "log in"}, status=401)
        _ = self.auth.translator(request, account)
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
                await desk.take(number, CHANNEL, account.chat, notify=staffdesk.notice(services, "taken"))
                done = _("Request No. %(n)d is yours.", n=number)
            elif action == "close":
                await desk.close(number, CHANNEL, account.chat, notify=staffdesk.notice(services, "closed"))
                done = _("Request No. %(n)d is closed.", n=number)
            elif action == "reply":
                await desk.reply(
                    number, CHANNEL, account.chat, text, relay=staffdesk.notice(services, "answered", text)
                )
                done = _("Sent to the citizen (request No. %(n)d).", n=number)
            else:
                await desk.note(number, CHANNEL, account.chat, text)
                done = _("Note saved. The citizen does not see it.")
        except (NotFound, AccessDenied, Closed) as error:
            return web.json_response({"error": staffdesk.refusal(_, error)}, status=409)
        return web.json_response({"message": done})

    async def offices(self, request: web.Request) -> web.Response:
        """The offices whose facts staff are asked to confirm or correct, as the question each."""
        if not (account := await self.auth.account(request)):
            return web.json_response({"error": "log in"}, status=401)
        _ = self.auth.translator(request, account)
        found = []
        for asked in await self.services.desk.verifications.of_chat(CHANNEL, account.chat):
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
        if not (account := await self.auth.account(request)):
            return web.json_response({"error": "log in"}, status=401)
        _ = self.auth.translator(request, account)
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
                    self.services, pressed.pack(), CHANNEL, account.chat, account.chat, None, _.lang
                )
            elif text and len(text) <= MAX_TEXT:
                asked = await self.services.desk.verifications.get(number, CHANNEL, account.chat)
                if asked.status not in ("fixing", "proposed"):
                    await verification.press(
                        self.services, Verify("fix", number).pack(), CHANNEL, account.chat, account.chat, None, _.lang
                    )
                    asked = await self.services.desk.verifications.get(number, CHANNEL, account.chat)
                replies = await verification.typed(self.services, asked, text, _.lang)
            else:
                return web.json_response(
                    {"error": _("Write the text first (at most %(n)d characters).", n=MAX_TEXT)}, status=400
                )
        except (NotFound, ValueError):
            return web.json_response({"error": _(verification.MISSING)}, status=409)
        return web.json_response({"replies": [reply_json(r) for r in replies]})

    async def poll(self, request: web.Request) -> web.Response:
        if not (account := await self.auth.account(request)):
            return web.json_response({"error": "log in"}, status=401)
        try:
            after = max(0, int(request.query.get("after", "0")))
        except ValueError:
            after = 0
        found = await self.inbox.wait(account.chat, after, INBOX_WAIT)
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

    def _forged(self, request: web.Request, _: Translator) -> web.Response | None:
        """A change without this session's CSRF token: refused."""
        if not self.auth.forged(request):
            return None
        return web.json_response(
            {"error": _("This request did not come from Opora's own page. Please reload the page.")}, status=403
        )
