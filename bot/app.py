"""Composition root: settings → database engine → catalogue → answer engine → channels."""

import asyncio
import contextlib
import ctypes
import datetime as dt
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.coordination import ChatLocks, Limits, OutboxSignal, RateLimits
from bot.core import staff, staffdesk, verification
from bot.core.conversation import Conversation
from bot.core.dialogs.common import Services
from bot.core.state import UPDATES_KEPT, StateStore
from bot.helpdesk.accounts import FIRST_ADMIN, LINK_LIFETIME, Accounts
from bot.helpdesk.desk import HelpDesk
from bot.helpdesk.models import OutboxMessage
from bot.helpdesk.outbox import Delivery, Sender
from bot.metrics import Metrics
from bot.operations import AccessLogger, Operations
from bot.settings import Settings
from bot.storage.engine import Statements, make_engine, sessions
from bot.storage.migrate import check_current, create_schema, is_new
from bot.web.inbox import WebInbox, WebInboxMessage
from bot.web.sessions import end_account
from catalog.directory import Directory
from catalog.loader import load_catalog
from catalog.models import Service
from catalog.search.engine import AnswerEngine
from catalog.search.terms import store_terms
from catalog.validation import load_checked

log = logging.getLogger("opora")
WEB_CHANNEL = "web"  # bot/web/chat.py's CHANNEL (bot/web is imported only when the web chat is served)
PROCESSED_UPDATES_KEPT = UPDATES_KEPT


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: "Redis[bytes] | None" = None  # shared by the workers; None for a single process
    outbox_waiting: asyncio.Event = field(default_factory=asyncio.Event)  # something new to deliver
    metrics: Metrics = field(default_factory=Metrics)

    def __post_init__(self) -> None:
        self.outbox_signal = OutboxSignal(self.outbox_waiting, self.redis)
        self.statements = Statements(self.engine)  # one for all who run statements without a session

    async def close(self) -> None:
        await self.engine.dispose()
        if self.redis is not None:
            await self.redis.aclose()  # type: ignore[attr-defined]  # redis 5 has it; types-redis 4.6 knows only close


class OutdatedSchema(Exception):
    pass


async def build_app(settings: Settings | None = None, migrate: bool = True) -> App:
    """With `migrate`, the schema is brought up to date. Without (`opora run`), a new database is
    created, but an existing one with an out-of-date schema is refused: workers must not
    migrate it behind the operator's back (`opora db upgrade`)."""
    settings = settings or Settings()
    engine = make_engine(settings.database_url)
    if migrate or await is_new(engine):
        await create_schema(engine)
    elif problem := await check_current(engine):
        await engine.dispose()
        raise OutdatedSchema(problem)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    return App(settings, engine, sessions(engine), redis)


async def ensure_catalog(app: App) -> bool:
    """Load the seed catalogue on first start, when the database has no services."""

    async def has_services() -> bool:
        async with app.sessions() as session:
            return bool(await session.scalar(select(func.count()).select_from(Service)))

    if await has_services():
        return False
    try:
        await load_catalog(app.sessions, load_checked(app.settings.catalog_path), after_load=store_terms)
    except IntegrityError:
        if await has_services():  # another worker, starting at the same moment, loaded it first
            return False
        raise
    return True


async def build_engine(app: App) -> AnswerEngine:
    """The in-memory answer engine, built from the catalogue in the database."""
    return await AnswerEngine.from_database(app.sessions, default_language=app.settings.default_language)


def _settle_memory() -> None:
    """What start-up built (the index, the gazetteer, the channels' libraries: 400,000 objects and
    more) lives as long as the process. Frozen, Python's full garbage collections no longer walk it: each took 0.2 s
    and more, a stall every few seconds under load. Then the memory freed while building goes
    back to the system: glibc returns freed memory only from the top of its heap by itself, and
    malloc_trim the rest (40 MB of a worker's 330 with 20,000 services). glibc only; elsewhere
    it does nothing, and no library offers it."""
    gc.collect()
    gc.freeze()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def erase_web_inbox(session: AsyncSession, request_ids: list[int], person: tuple[str, str] | None) -> None:
    """What the web inbox holds of erased requests and of a forgotten person: the cards and
    messages delivered to the staff view, and the person's own unread messages."""
    if request_ids:
        delivered = (
            await session.scalars(
                select(OutboxMessage.sent_message_id).where(
                    OutboxMessage.request_id.in_(request_ids),
                    OutboxMessage.channel == WEB_CHANNEL,
                    OutboxMessage.sent_message_id.is_not(None),
                )
            )
        ).all()
        ids = [int(i) for i in delivered if i and i.isdigit()]
        if ids:
            await session.execute(delete(WebInboxMessage).where(WebInboxMessage.id.in_(ids)))
    if person and person[0] == WEB_CHANNEL:
        await session.execute(delete(WebInboxMessage).where(WebInboxMessage.chat_id == person[1]))


# Failures counted across workers before a chat or an address must wait: wrong /join codes (40
# bits, but guessing is not free), and wrong staff passwords, per address, per name typed (known
# or not: the answer must not tell) and from everywhere.
FAILURE_LIMITS = {
    "join failures": "5/hour",
    "staff log-in failures": "10/15minutes",
    "staff log-in failures, name": "5/15minutes",
    "staff log-in failures, all": "600/minute",
}


def build_accounts(app: App, now: Clock = utc_now) -> Accounts:
    """Staff accounts; disabling one (or setting a new password) ends its web sessions at once."""
    return Accounts(app.sessions, now, enders=[end_account])


def set_password_link(settings: Settings, token: str, lang: str) -> str:
    """The one-time link, in the account's language: the token after '#' never reaches a server's
    log, nor a Referer."""
    return f"{settings.base_url()}/staff/password?lang={lang}#{token}"


def build_desk(app: App, now: Clock = utc_now) -> HelpDesk:
    return HelpDesk(
        app.sessions, now, wake=app.outbox_signal.wake, erasers=[erase_web_inbox], statements=app.statements
    )


def build_services(app: App, answers: AnswerEngine | None, now: Clock = utc_now) -> Services:
    """What the conversation works with; without `answers` (a command that asks nothing), what
    staff commands need."""
    settings = app.settings
    desk = build_desk(app, now)
    limits = Limits(
        {
            "turns": settings.limit_turns,
            "requests": settings.limit_requests,
            "messages": settings.limit_messages,
            "slow-down notice": "1/minute",
            "web-address": settings.limit_web_address,
            **FAILURE_LIMITS,
        },
        settings.redis_url,
    )
    return Services(
        answers=answers,  # type: ignore[arg-type]  # None for staff commands: Services.answers should say so
        directory=Directory(app.sessions),
        states=StateStore(app.sessions, dt.timedelta(hours=settings.draft_hours), now, app.statements),
        desk=desk,
        now=now,
        default_language=settings.default_language,
        retention_days=settings.retention_days,
        follow_up_window=dt.timedelta(hours=settings.follow_up_hours),
        reminder_after=dt.timedelta(hours=settings.staff_reminder_hours),
        metrics=app.metrics,
        locks=ChatLocks(app.redis),
        limits=limits,
    )


def build_conversation(app: App, answers: AnswerEngine, now: Clock = utc_now) -> Conversation:
    return Conversation(build_services(app, answers, now))


async def staff_duties(
    conversation: Conversation,
    settings: Settings,
    stop: asyncio.Event,
    every: float = 60.0,
    inbox: WebInbox | None = None,
) -> None:
    """Remind staff of unanswered requests, ask staff chats to confirm their offices' facts when
    they are due, and erase expired personal data, once a minute."""
    services = conversation.services
    while not stop.is_set():
        try:
            deadlines = await staff.deadlines(services)
            now = services.now()
            await services.desk.due_reminders(
                overdue=lambda r: deadlines.overdue(r, now),  # noqa: B023 (used at once)
                remind=lambda r, lang: staffdesk.reminder(services, r, lang),
            )
            await verification.ask_due(services)
            await services.desk.erase_expired(dt.timedelta(days=settings.retention_days))
            if inbox:
                await inbox.erase_older(dt.timedelta(days=settings.retention_days))
            await services.states.forget_updates_before(now - PROCESSED_UPDATES_KEPT)
            await services.states.expire_drafts()
            await services.states.prune(dt.timedelta(days=settings.idle_state_days))
        except Exception:
            log.exception("staff duties failed; trying again later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def chat_in_terminal(app: App, lang: str | None) -> None:
    """`opora chat`: the conversation in the terminal, with staff replies printed as they come."""
    from bot import terminal

    if await ensure_catalog(app):
        log.info("seed catalogue loaded")
    conversation = build_conversation(app, await build_engine(app))
    stop = asyncio.Event()
    delivery = Delivery(
        app.sessions, {terminal.CHANNEL: terminal.Printer()}, conversation.services.now, woken=app.outbox_waiting
    )
    delivering = asyncio.create_task(delivery.run(stop))
    try:
        await terminal.chat(conversation, lang)
    finally:
        stop.set()
        await delivering


async def serve(app: App) -> None:
    """`opora run`: every channel whose token is configured, and the web chat with the staff
    view (by default when there is no token), until SIGINT or SIGTERM."""
    # A channel's library is imported only when that channel runs (aiogram alone takes two seconds).
    from bot.web.accounts import AccountsView, StaffAuth
    from bot.web.chat import WebChat
    from bot.web.guard import Guard, GuardedSite
    from bot.web.sessions import Sessions, shared_key
    from bot.web.staff import StaffView

    settings = app.settings
    if await ensure_catalog(app):
        log.info("seed catalogue loaded")
    conversation = build_conversation(app, await build_engine(app))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    guard = Guard(head_seconds=settings.web_head_seconds)
    http = web.Application(middlewares=[guard.middleware])
    Operations(app.sessions, app.metrics, app.redis).register(http)
    senders: dict[str, Sender] = {}
    tasks: list[asyncio.Task[Any]] = []
    closing: list[Callable[[], Awaitable[None]]] = []
    bot = dispatcher = viber = None
    if settings.telegram_token:
        from bot.telegram.ratelimit import RateLimited
        from bot.telegram.runner import make_bot, make_dispatcher, register_commands, start_webhook
        from bot.telegram.sender import TelegramSender

        bot = make_bot(settings)
        dispatcher = make_dispatcher(conversation, webhook=bool(settings.telegram_webhook_url))
        limited = RateLimited(
            RateLimits(
                settings.redis_url,
                settings.telegram_limit_chat,
                settings.telegram_limit_group,
                settings.telegram_limit_overall,
            )
        )
        bot.session.middleware(limited)
        senders["telegram"] = TelegramSender(bot, limited)
        closing.append(bot.session.close)
        await register_commands(bot, settings.default_language)
        if settings.telegram_webhook_url:
            await start_webhook(http, bot, dispatcher, settings)
        else:
            await bot.delete_webhook()
            # One update at a time: a person's messages are answered in the order they were sent.
            tasks.append(
                asyncio.create_task(
                    dispatcher.start_polling(bot, handle_signals=False, handle_as_tasks=False, close_bot_session=False)
                )
            )
    if settings.viber_token:
        from bot.viber.client import ViberClient
        from bot.viber.webhook import ViberWebhook

        viber = ViberClient(
            settings.viber_api_url,
            settings.viber_token.get_secret_value(),
            settings.viber_bot_name,
            settings.viber_bot_avatar,
        )
        ViberWebhook(viber, conversation).register(http)
        senders["viber"] = viber
        closing.append(viber.close)
    inbox = None
    web_chat = (
        settings.web_chat if settings.web_chat is not None else not (settings.telegram_token or settings.viber_token)
    )
    if web_chat:
        inbox = senders["web"] = WebInbox(app.sessions)
        sessions = Sessions(app.sessions, conversation.services.now, await shared_key(app.sessions, "web-session"))
        WebChat(conversation, inbox, sessions).register(http)
        accounts = build_accounts(app, conversation.services.now)
        auth = StaffAuth(accounts, sessions, conversation.services)
        AccountsView(auth, settings).register(http)
        StaffView(conversation.services, inbox, auth).register(http)
        first_admin = await accounts.first_admin(settings.default_language)
    delivery = Delivery(
        app.sessions,
        senders,
        conversation.services.now,
        woken=app.outbox_waiting,
        observer=app.metrics,
        retry_seconds=settings.outbox_retry_seconds,
    )
    tasks += [
        asyncio.create_task(delivery.run(stop)),
        asyncio.create_task(app.outbox_signal.listen(stop)),
        asyncio.create_task(staff_duties(conversation, settings, stop, inbox=inbox)),
        asyncio.create_task(guard.watch(stop)),
    ]
    runner = web.AppRunner(http, access_log_class=AccessLogger, keepalive_timeout=settings.web_head_seconds)
    await runner.setup()
    _settle_memory()
    await GuardedSite(runner, guard, settings.http_host, settings.http_port).start()
    log.info("listening on http://%s:%s", settings.http_host, settings.http_port)
    if web_chat:
        # On standard output, not in the log: the link is a secret, shown once. Before the
        # "Staff view:" line, which tells a reader that all is printed.
        if first_admin:
            link = set_password_link(settings, first_admin, settings.default_language)
            print(
                f"No staff account yet: the first admin ({FIRST_ADMIN!r}, on every queue) sets a password within "
                f"{LINK_LIFETIME.days * 24} hours at\n{link}",
                flush=True,
            )
        elif not any(a.enabled and a.has_password for a in await accounts.all()):
            print(f"No staff account can log in yet: `opora staff invite {FIRST_ADMIN}` prints a new link.", flush=True)
        print(f"Opora web chat: {settings.base_url()}/\nStaff view:     {settings.base_url()}/staff", flush=True)
    if viber and settings.viber_webhook_url:
        from bot.viber.webhook import PATH as VIBER_PATH

        # Viber checks the webhook by calling it, so the server must be up first.
        await viber.set_webhook(settings.viber_webhook_url.rstrip("/").removesuffix(VIBER_PATH) + VIBER_PATH)
    log.info("Opora is running")
    try:
        await stop.wait()
    finally:
        if dispatcher and not settings.telegram_webhook_url:
            await dispatcher.stop_polling()
        await asyncio.gather(*tasks, return_exceptions=True)
        if inbox is not None:
            await inbox.close()
        await runner.cleanup()
        for close in closing:
            await close()
