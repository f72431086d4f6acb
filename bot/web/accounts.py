"""Staff log-in to the web staff view: personal accounts (bot/helpdesk/accounts.py) with a name
and a password, server-side sessions, and the admin page at /staff/admin.

- /staff/password: the one-time link's page (the token after '#', read by its script) sets the
  password and logs in.
- /staff/login: name and password. Wrong ones are counted per address, per name typed and from
  everywhere (`services.limits`), and the answer is the same for an unknown name and a wrong
  password (which takes as long). A new session at every log-in; log-out ends it on the server.
- /staff/admin and /staff/api/accounts: only for role admin."""

import logging

from aiohttp import web

from bot.core.dialogs.common import Services
from bot.core.i18n import Translator, language
from bot.helpdesk.accounts import (
    LANGUAGES,
    MAX_PASSWORD,
    MIN_PASSWORD,
    ROLES,
    Account,
    AccountDisabled,
    AccountError,
    Accounts,
    LinkInvalid,
    PasswordTooShort,
    listing,
    login_of,
)
from bot.settings import Settings
from bot.web.chat import NO_STORE, STATIC
from bot.web.guard import CSRF_HEADER, BadBody, read_json, secure
from bot.web.sessions import STAFF_LIFETIME, Sessions, csrf_token
from bot.web.ui import labels
from catalog.texts import pick

log = logging.getLogger(__name__)

COOKIE = "opora_staff"
MAX_BODY = 16 * 1024
FAILURES = ("staff log-in failures", "staff log-in failures, name", "staff log-in failures, all")
_ACCOUNT = "opora.account"  # the request's account, once looked up


class StaffAuth:
    """Who is logged in to the staff view: what every /staff handler asks first."""

    def __init__(self, accounts: Accounts, sessions: Sessions, services: Services):
        self.accounts = accounts
        self.sessions = sessions
        self.services = services

    async def account(self, request: web.Request) -> Account | None:
        """The logged-in, enabled account of this request's session cookie."""
        if _ACCOUNT not in request:
            account_id = await self.sessions.staff_account(request.cookies.get(COOKIE))
            request[_ACCOUNT] = await self.accounts.get(account_id) if account_id is not None else None
        found: Account | None = request[_ACCOUNT]
        return found

    def csrf(self, request: web.Request) -> str:
        """The session's CSRF token: staff pages send it back in X-CSRF-Token with every change."""
        return csrf_token(request.cookies.get(COOKIE, ""))

    def forged(self, request: web.Request) -> bool:
        """A change without this session's CSRF token: not from Opora's own page."""
        return not request.cookies.get(COOKIE) or request.headers.get(CSRF_HEADER) != self.csrf(request)

    def translator(self, request: web.Request, account: Account | None) -> Translator:
        """The staff member's own language; `?lang` (the page's language buttons) overrides it."""
        return Translator(
            language(request.query.get("lang"))
            or (account.language if account else None)
            or language(request.headers.get("Accept-Language"))
            or self.services.default_language
        )

    async def log_in(self, request: web.Request, account: Account, to: str = "/staff") -> web.Response:
        await self.sessions.end(request.cookies.get(COOKIE))  # a new session at every log-in
        response = see(to)
        response.set_cookie(
            COOKIE,
            await self.sessions.staff(account.id),
            httponly=True,
            samesite="Strict",
            path="/staff",
            secure=secure(request),
            max_age=int(STAFF_LIFETIME.total_seconds()),
        )
        return response


class AccountsView:
    def __init__(self, auth: StaffAuth, settings: Settings):
        self.auth = auth
        self.accounts = auth.accounts
        self.settings = settings

    def register(self, http: web.Application) -> None:
        http.router.add_get("/staff/login", self.login_page)
        http.router.add_post("/staff/login", self.login)
        http.router.add_post("/staff/logout", self.logout)
        http.router.add_get("/staff/password", self.password_page)
        http.router.add_post("/staff/password", self.set_password)
        http.router.add_get("/staff/admin", self.admin_page)
        http.router.add_get("/staff/api/me", self.me)
        http.router.add_get("/staff/api/accounts", self.list)
        http.router.add_post(r"/staff/api/accounts/{action:add|disable|enable|invite|queues}", self.change)

    # --- log-in ---------------------------------------------------------------------------------

    async def login_page(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "staff-login.html", headers=NO_STORE)

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        name, password = str(form.get("name", ""))[:200], str(form.get("password", ""))[: MAX_PASSWORD + 1]
        limits = self.auth.services.limits
        keys = list(zip(FAILURES, (request.remote or "?", login_of(name), "all"), strict=True))
        for limit, key in keys:
            if not await limits.open(limit, key):
                return see("/staff?error=wait")  # even with the right password, for a while
        try:
            account = await self.accounts.verify(name, password)
        except AccountDisabled:
            return see("/staff?error=disabled")
        if account is None:
            for limit, key in keys:
                await limits.count(limit, key)
            log.info("a staff log-in failed")  # neither the name nor the address: they may be personal
            return see("/staff?error=wrong")
        return await self.auth.log_in(request, account)

    async def logout(self, request: web.Request) -> web.StreamResponse:
        await self.auth.sessions.end(request.cookies.get(COOKIE))  # the cookie stops working everywhere
        response = see("/staff")
        response.del_cookie(COOKIE, path="/staff")
        return response

    async def password_page(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "staff-password.html")

    async def set_password(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token, password = str(form.get("token", ""))[:200], str(form.get("password", ""))[: MAX_PASSWORD + 1]
        lang = language(str(form.get("lang", ""))) or ""
        back = "/staff/password?" + (f"lang={lang}&" if lang else "")
        if password != str(form.get("repeat", password)):
            return see(f"{back}error=repeat#{token}")
        try:
            account = await self.accounts.set_password(token, password)
        except PasswordTooShort:
            return see(f"{back}error=short#{token}")
        except LinkInvalid:
            return see(f"{back}error=link")
        return await self.auth.log_in(request, account)

    # --- who is logged in, and the admin page -----------------------------------------------------

    async def me(self, request: web.Request) -> web.Response:
        """The staff view's labels in the staff member's language, and who they are."""
        account = await self.auth.account(request)
        if account is None:
            return web.json_response({"error": "log in"}, status=401)
        _ = self.auth.translator(request, account)
        return web.json_response(
            {
                "language": _.lang,
                "ui": labels("staff", _) | labels("admin", _),
                "account": {"name": account.name, "role": account.role, "queues": list(account.queues)},
                "csrf": self.auth.csrf(request),
            }
        )

    async def admin_page(self, request: web.Request) -> web.StreamResponse:
        account = await self.auth.account(request)
        if account is None or account.role != "admin":
            return see("/staff")
        return web.FileResponse(STATIC / "staff-admin.html")

    async def list(self, request: web.Request) -> web.Response:
        account = await self.auth.account(request)
        if refused := self._not_admin(account):
            return refused
        _ = self.auth.translator(request, account)
        queues = await self.auth.services.desk.queues()
        return web.json_response(
            {
                "accounts": listing(await self.accounts.all(), self.auth.services.now()),
                "queues": [{"id": q.id, "name": pick(q.name, _.lang) or q.id} for q in queues],
                "roles": list(ROLES),
                "languages": list(LANGUAGES),
                "min_password": MIN_PASSWORD,
                "csrf": self.auth.csrf(request),
            }
        )

    async def change(self, request: web.Request) -> web.Response:
        """{"name", and for add: "role", "language", "queues"; for queues: "queues"} → what changed,
        and for add and invite the one-time link to hand to the person."""
        account = await self.auth.account(request)
        if refused := self._not_admin(account):
            return refused
        _ = self.auth.translator(request, account)
        if self.auth.forged(request):
            return web.json_response(
                {"error": _("This request did not come from Opora's own page. Please reload the page.")}, status=403
            )
        try:
            body = await read_json(request, MAX_BODY)
        except BadBody as error:
            return web.json_response({"error": _("Please reload the page.")}, status=error.status)
        body = body if isinstance(body, dict) else {}
        name, action = str(body.get("name") or ""), request.match_info["action"]
        raw_queues = body.get("queues")
        queues = [str(q) for q in raw_queues] if isinstance(raw_queues, list) else []
        link = None
        try:
            if action == "add":
                changed, token = await self.accounts.add(
                    name, queues, str(body.get("role") or "agent"), str(body.get("language") or "bg")
                )
                link = self._link(request, token, changed)
            elif action == "invite":
                changed, token = await self.accounts.invite(name)
                link = self._link(request, token, changed)
            elif action == "queues":
                changed = await self.accounts.set_queues(name, queues)
            elif action == "enable":
                changed = await self.accounts.enable(name)
            elif login_of(name) == login_of(account.name if account else ""):
                return web.json_response({"error": _("You cannot disable your own account.")}, status=400)
            else:
                changed = await self.accounts.disable(name)
        except AccountError as error:
            return web.json_response({"error": refusal(_, error)}, status=400)
        return web.json_response({"name": changed.name, **({"link": link} if link else {})})

    def _not_admin(self, account: Account | None) -> web.Response | None:
        if account is None:
            return web.json_response({"error": "log in"}, status=401)
        if account.role != "admin":
            return web.json_response({"error": "admins only"}, status=403)
        return None

    def _link(self, request: web.Request, token: str, account: Account) -> str:
        """The link on the address the admin uses (or OPORA_PUBLIC_URL), in the account's language."""
        base = self.settings.public_url or f"{'https' if secure(request) else 'http'}://{request.host}"
        return f"{base.rstrip('/')}/staff/password?lang={account.language}#{token}"


def refusal(_: Translator, error: AccountError) -> str:
    match error.kind:
        case "name":
            return _("A name must be 1 to 100 characters long.")
        case "role":
            return _("Choose a role.")
        case "language":
            return _("Choose a language.")
        case "no queue":
            return _("Choose at least one queue.")
        case "queue":
            return _("There is no queue %(id)s.", id=error.value)
        case "duplicate":
            return _("An account named %(name)s exists already.", name=error.value)
        case _:
            return _("There is no account %(name)s.", name=error.value)


def see(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})
