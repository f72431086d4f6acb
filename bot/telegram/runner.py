"""Telegram's bot, dispatcher, commands, and the two ways of receiving updates."""

import datetime as dt
import hashlib
import hmac
import json
import logging

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    Response,
    SendLocation,
    SendMessage,
    SendVenue,
    SetWebhook,
)
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats, Update
from aiohttp import web

from bot.core.conversation import Conversation
from bot.core.i18n import LANGUAGES, Translator
from bot.core.state import WEBHOOK_CLAIM
from bot.settings import Settings
from bot.telegram.once import BUSY, Once
from bot.telegram.routers import buttons_router, messages_router, staff_groups_router
from catalog.vocabulary import N_

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COMMANDS = {
    "start": N_("Start again"),
    "help": N_("Help"),
    "language": N_("Change the language"),
    "myrequests": N_("My requests to staff"),
    "forget": N_("Delete what Opora stores about me"),
}
STAFF_COMMANDS = {
    "queue": N_("Open requests"),
    "take": N_("Take request N"),
    "close": N_("Close request N"),
    "note": N_("Private note: /note N text"),
    "canned": N_("Ready answers"),
    "send": N_("Send ready answer K to request N: /send N K"),
    "join": N_("Bind this chat: /join CODE"),
}

# aiogram builds the type Response[T] for every call; pydantic keeps such types only weakly, so
# under load they were collected and built again (milliseconds each, 5 % of a worker's time).
# Holding the ones of the hot calls keeps them.
RESPONSE_TYPES = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]  # a type built at run time
    for method in (SendMessage, SendVenue, SendLocation, EditMessageText, AnswerCallbackQuery, SetWebhook)
)


def make_bot(settings: Settings) -> Bot:
    api = TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/"))
    return Bot(token(settings), session=AiohttpSession(api=api))


def token(settings: Settings) -> str:
    if settings.telegram_token is None:
        raise ValueError("OPORA_TELEGRAM_TOKEN is not set")  # Telegram is started only when it is
    return settings.telegram_token.get_secret_value()


def make_dispatcher(conversation: Conversation, webhook: bool = False) -> Dispatcher:
    # Opora keeps its own state (bot/core/state.py): aiogram's FSM would only cost every update.
    # In webhook mode a button press is answered (its spinner stopped) in the webhook's response,
    # with no request of its own (`start_webhook`).
    dispatcher = Dispatcher(conversation=conversation, answered_in_response=webhook, disable_fsm=True)
    expires = WEBHOOK_CLAIM if webhook else dt.timedelta(0)  # polling: one receiver, any old claim is dead
    dispatcher.update.outer_middleware(Once(conversation, expires))
    dispatcher.include_routers(messages_router(), staff_groups_router(), buttons_router())
    return dispatcher


async def register_commands(bot: Bot, default_language: str) -> None:
    """The command menu in each language, and the default language's for everyone else."""
    for lang in (*LANGUAGES, None):
        _ = Translator(lang or default_language)
        commands = [BotCommand(command=c, description=_(d)) for c, d in COMMANDS.items()]
        await bot.set_my_commands(commands, language_code=lang)
        staff = [BotCommand(command=c, description=_(d)) for c, d in STAFF_COMMANDS.items()]
        await bot.set_my_commands(staff, scope=BotCommandScopeAllGroupChats(), language_code=lang)


def webhook_secret(settings: Settings) -> str:
    """Telegram echoes this in X-Telegram-Bot-Api-Secret-Token; derived from the token unless set."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret.get_secret_value()
    return hashlib.sha256(f"opora-webhook:{token(settings)}".encode()).hexdigest()


async def start_webhook(http: web.Application, bot: Bot, dispatcher: Dispatcher, settings: Settings) -> None:
    """Serve updates at /telegram on Opora's HTTP server: requests without the secret get 401, a
    body that is not an update 400, an update whose handling failed 500 and one that another worker
    is handling 503, so that Telegram delivers it again."""
    if settings.telegram_webhook_url is None:
        raise ValueError("OPORA_TELEGRAM_WEBHOOK_URL is not set")  # webhook mode is chosen only when it is
    secret = webhook_secret(settings)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode(errors="replace")
        if not hmac.compare_digest(given, secret.encode()):
            return web.Response(status=401, text="Unauthorized")
        try:
            update = Update.model_validate(json.loads(await request.read()), context={"bot": bot})
        except (ValueError, RecursionError) as error:  # pydantic's ValidationError is a ValueError
            return web.Response(status=400, text=f"malformed update: {type(error).__name__}")
        try:  # feed_update, not feed_webhook_update, which keeps only a method to answer with
            if await dispatcher.feed_update(bot, update) is BUSY:
                return web.Response(status=503, text="being handled; try again", headers={"Retry-After": "5"})
        except Exception:
            log.exception("Telegram update %s could not be handled", update.update_id)
            return web.Response(status=500, text="try again")
        if update.callback_query is not None:  # Telegram runs it; a press delivered again is answered again, harmlessly
            return web.json_response({"method": "answerCallbackQuery", "callback_query_id": update.callback_query.id})
        return web.json_response({})

    http.router.add_post(WEBHOOK_PATH, receive)
    url = settings.telegram_webhook_url.rstrip("/")
    if not url.endswith(WEBHOOK_PATH):
        url += WEBHOOK_PATH
    await bot.set_webhook(
        url, secret_token=secret, drop_pending_updates=False, allowed_updates=dispatcher.resolve_used_update_types()
    )  # as polling asks for
    log.info("Telegram webhook set")
