"""The staff workplace at /staff: the requests of the logged-in account's queues as a list (by
queue and status, searched by number or words, oldest waiting first) and one request's detail, to
take, release, transfer, answer (with ready answers), note, close and reopen from a browser. Each
account is a staff chat ("web", account.chat) bound to its queues (bot/web/accounts.py logs in);
new requests reach it through the outbox like any staff chat. What the workplace shows of a
request is in bot/web/workplace.py."""

from aiohttp import web

from bot.core import staffdesk, verification
from bot.core.dialogs.common import Services
from bot.core.i18n import Translator
from bot.core.payloads import Verify
from bot.helpdesk.desk import AccessDenied, Closed, NotFound, TakenBy
from bot.helpdesk.models import HelpRequest, aware
from bot.web import workplace
from bot.web.accounts import StaffAuth
from bot.web.chat import CHANNEL, INBOX_WAIT, NO_STORE, STATIC, message_json, reply_json
from bot.web.guard import BadBody, read_json
from bot.web.inbox import WebInbox

MAX_TEXT = 4000
MAX_BODY = 64 * 1024
MAX_NUMBER = 2**31  # request numbers are database integers; anything bigger is no request
MAX_QUERY = 200  # characters searched for
MAX_ROWS = 200  # rows of the list sent at once (the count says how many matched)


class StaffView:
    def __init__(self, services: Services, inbox: WebInbox, auth: StaffAuth):
        self.services = services
        self.inbox = inbox
        self.auth = auth

    def register(self, http: web.Application) -> None:
        http.router.add_get("/staff", self.page)
        http.router.add_get("/staff/api/requests", self.requests)
        http.router.add_get(r"/staff/api/requests/{id:\d+}", self.detail)
        http.router.add_post(
            r"/staff/api/requests/{id:\d+}/{action:take|release|transfer|close|reopen|reply|note}", self.act
        )
        http.router.add_get("/staff/api/inbox", self.poll)
        http.router.add_get("/staff/api/offices", self.offices)
        http.router.add_post(r"/staff/api/offices/{id:\d+}", self.check)

    async def page(self, request: web.Request) -> web.StreamResponse:
        page = "staff.html" if await self.auth.account(request) else "staff-login.html"
        return web.FileResponse(STATIC / page, headers=NO_STORE)  # depends on the session: never cached

    async def requests(self, request: web.Request) -> web.Response:
        """The list: `queue` (one of the staff member's, else all of them), `status` (open, mine,
        closed, all), `q` (a number or words of the conversation), `sort` (oldest or newest first)."""
        me = await self._me(request)
        if me is None:
            return web.json_response({"error": "log in"}, status=401)
        _ = Translator(me.language)
        query = request.query
        view, sort, queue = query.get("status", "open"), query.get("sort", "oldest"), query.get("queue", "")
        if view not in workplace.VIEWS or sort not in workplace.SORTS:
            return web.json_response({"error": _("This filter is unknown. Please reload the page.")}, status=400)
        if queue and queue not in me.queues:
            return web.json_response({"error": _("This queue is not one of yours.")}, status=400)
        words = query.get("q", "").strip()
        if len(words) > MAX_QUERY:
            return web.json_response({"error": _("Search for at most %(n)d characters.", n=MAX_QUERY)}, status=400)
        found = await self._find(me, (queue,) if queue else me.queues, view, words)
        found.sort(key=lambda r: (aware(r.created_at), r.id), reverse=sort == "newest")
        clocks = await workplace.Clocks.read(self.services)
        shown = found[:MAX_ROWS]
        summaries = await self.services.desk.summaries([r.id for r in shown])
        rows = [await workplace.row(self.services, r, _, clocks, summaries.get(r.id)) for r in shown]
        open_ = await self.services.desk.open_requests(CHANNEL, me.chat)
        queues = [
            {
                "id": q,
                "name": await workplace.queue_name(self.services, q, _),
                "open": sum(r.queue_id == q for r in open_),
            }
            for q in me.queues
        ]
        return web.json_response(
            {
                "requests": rows,
                "total": len(found),
                "summary": _.plural("%(n)d request", "%(n)d requests", len(found)),
                "queues": queues,  # the staff member's, to filter by
                "csrf": self.auth.csrf(request),
            }
        )

    async def detail(self, request: web.Request) -> web.Response:
        me = await self._me(request)
        if me is None:
            return web.json_response({"error": "log in"}, status=401)
        _ = Translator(me.language)
        try:
            found = await self._one(me, int(request.match_info["id"]))
        except (NotFound, AccessDenied) as error:
            return web.json_response({"error": staffdesk.refusal(_, error)}, status=_status(error))
        clocks = await workplace.Clocks.read(self.services)
        staffed = await self.services.desk.staffed_queues(overseers=await self.auth.accounts.admin_chats())
        return web.json_response(await workplace.detail(self.services, found, _, clocks, staffed))

    async def act(self, request: web.Request) -> web.Response:
        """An action on a request: take, release, transfer {"queue"}, close, reopen, reply {"text"},
        note {"text"}, by the staff member at the browser. What changed comes back as the request's
        row (and whether it can be undone); a refusal changes nothing and says why."""
        me = await self._me(request)
        if me is None:
            return web.json_response({"error": "log in"}, status=401)
        _ = Translator(me.language)
        if refused := self._forged(request, _):
            return refused
        number, action = int(request.match_info["id"]), request.match_info["action"]
        try:
            body = await read_json(request, MAX_BODY) if request.can_read_body else {}
        except BadBody:
            body = {}
        body = body if isinstance(body, dict) else {}
        text = str(body.get("text") or "").strip()
        if action in ("reply", "note") and (not text or len(text) > MAX_TEXT):
            return web.json_response(
                {"error": _("Write the text first (at most %(n)d characters).", n=MAX_TEXT)}, status=400
            )
        actions, by = staffdesk.StaffActions(self.services), me.name
        try:
            if not 0 < number < MAX_NUMBER:
                raise NotFound(number)
            undo = False
            if action == "take":
                changed = await actions.take(number, CHANNEL, me.chat, by)
                done = _("Request No. %(n)d is yours.", n=number)
            elif action == "release":
                changed = await actions.release(number, CHANNEL, me.chat, by)
                done = _("Request No. %(n)d waits to be taken again.", n=number)
            elif action == "transfer":
                target = str(body.get("queue") or "")
                if await self.services.desk.queue(target) is None:
                    return web.json_response(
                        {"error": _("There is no such queue. Choose one from the list.")}, status=400
                    )
                changed = await actions.transfer(number, CHANNEL, me.chat, target, by)
                done = _(
                    "Request No. %(n)d is passed to %(queue)s.",
                    n=number,
                    queue=await workplace.queue_name(self.services, target, _),
                )
            elif action == "close":
                changed = await actions.close(number, CHANNEL, me.chat, by)
                done, undo = _("Request No. %(n)d is closed.", n=number), True
            elif action == "reopen":
                changed = await actions.reopen(number, CHANNEL, me.chat, by)
                done = _("Request No. %(n)d is open again.", n=number)
            elif action == "reply":
                changed = await actions.reply(number, CHANNEL, me.chat, text, by)
                done = _("Sent to the citizen (request No. %(n)d).", n=number)
            else:
                changed = await actions.note(number, CHANNEL, me.chat, text, by)
                done = _("Note saved. The citizen does not see it.")
        except (NotFound, AccessDenied, Closed, TakenBy) as error:
            return web.json_response({"error": staffdesk.refusal(_, error)}, status=_status(error))
        row = await workplace.row(self.services, changed, _, await workplace.Clocks.read(self.services))
        return web.json_response({"message": done, "request": row, "undo": undo})

    async def _me(self, request: web.Request) -> workplace.Me | None:
        """The logged-in staff member: their web staff chat, name, language (the page's language
        buttons may override it) and queues; None when not logged in."""
        account = await self.auth.account(request)
        if account is None:
            return None
        lang = self.auth.translator(request, account).lang
        return workplace.Me(account.chat, account.name, lang, tuple(account.queues))

    async def _find(self, me: workplace.Me, queues: tuple[str, ...], view: str, words: str) -> list[HelpRequest]:
        number = _number(words)
        found = await self.services.desk.search(
            queues,
            text=words if number is None and words else None,
            number=number,
            statuses=workplace.VIEWS[view],
            limit=MAX_ROWS,
        )
        if view == "mine":
            found = [r for r in found if r.taken_at is not None and r.taken_by == me.name]
        return found

    async def _one(self, me: workplace.Me, number: int) -> HelpRequest:
        """One of the staff member's requests, open or closed; NotFound or AccessDenied (another queue's) else."""
        if not 0 < number < MAX_NUMBER:
            raise NotFound(number)
        return await self.services.desk.request(number, CHANNEL, me.chat)

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

    def _forged(self, request: web.Request, _: Translator) -> web.Response | None:
        """A change without this session's CSRF token: refused."""
        if not self.auth.forged(request):
            return None
        return web.json_response(
            {"error": _("This request did not come from Opora's own page. Please reload the page.")}, status=403
        )


def _status(error: Exception) -> int:
    return 404 if isinstance(error, NotFound) else 403 if isinstance(error, AccessDenied) else 409


def _number(words: str) -> int | None:
    """A request number as staff write it ("12", "№12", "#12"); None for words."""
    value = words.strip().lstrip("№#").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 10 else None
