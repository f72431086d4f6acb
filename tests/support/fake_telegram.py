"""A fake Telegram Bot API on 127.0.0.1: it queues updates for getUpdates (or posts them to a
webhook) and records every method the real aiogram code calls, as a person's chat would see it."""

import asyncio
import contextlib
import itertools
import json
import time

from aiohttp import ClientSession, web

from support.waiting import Watched

BOT = {"id": 4242, "is_bot": True, "first_name": "Opora", "username": "opora_test_bot"}
SENDING = {"sendMessage", "editMessageText", "sendVenue", "sendLocation"}


class FakeBotAPI(Watched):
    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, dict]] = []
        self.updates: list[dict] = []
        self.confirmed = 0  # the highest offset getUpdates has asked for: updates below are handled
        self.ids = itertools.count(1)
        self.message_ids = itertools.count(1000)
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.delivered: list[tuple[str, dict]] = []  # what reached a chat (failed attempts are left out)
        self.failures: dict[str, list[tuple[float, dict]]] = {}  # chat id → (until, error) windows

    def fail_for(self, chat_id: int, seconds: float, code: int, retry_after: int | None = None) -> None:
        """Refuse to deliver to a chat for a while: 429 Too Many Requests (with retry_after) or a 5xx."""
        error = {"ok": False, "error_code": code, "description": "Too Many Requests" if code == 429 else "Bad Gateway"}
        if retry_after is not None:
            error["parameters"] = {"retry_after": retry_after}
        start = max([until for until, _ in self.failures.get(str(chat_id), [])] + [time.monotonic()])
        self.failures.setdefault(str(chat_id), []).append((start + seconds, error))

    def recovers(self, chat_id: int) -> None:
        """Deliver to the chat again, at once."""
        self.failures.pop(str(chat_id), None)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.method)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        await self.runner.cleanup()

    async def method(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        params = {k: _decode(v) for k, v in (await request.post()).items()}
        self.calls.append((name, params))
        await self.notify()
        if name == "getUpdates":
            return _ok(await self._updates(params))
        if name == "getMe":
            return _ok(BOT)
        if name in SENDING:
            for until, error in self.failures.get(str(params.get("chat_id")), []):
                if time.monotonic() < until:
                    return web.json_response(error, status=error["error_code"])
            if name == "editMessageText" and not any(
                p.get("message_id") == params.get("message_id") and p.get("chat_id") == params.get("chat_id")
                for _m, p in self.delivered
            ):
                error = {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"}
                return web.json_response(error, status=400)
            # An edit keeps its message's id; a message sent gets a new one, kept with what was sent.
            params.setdefault("message_id", next(self.message_ids))
            self.delivered.append((name, params))
            await self.notify()
            return _ok(
                {
                    "message_id": params["message_id"],
                    "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params.get("text", ""),
                }
            )
        return _ok(True)

    async def _updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        async with self.changed:
            self.confirmed = max(self.confirmed, offset)
            self.changed.notify_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.changed.wait_for(lambda: self._pending(offset)), float(params.get("timeout") or 0)
                )
        return self._pending(offset)

    def _pending(self, offset: int) -> list[dict]:
        # Like Telegram, updates confirmed by an earlier offset are gone, even after a restart.
        return [u for u in self.updates if u["update_id"] >= max(offset, self.confirmed)]

    async def push(self, update: dict) -> int:
        update_id = next(self.ids)
        async with self.changed:
            self.updates.append({"update_id": update_id, **update})
            self.changed.notify_all()
        return update_id

    async def wait_handled(self, update_id: int, timeout: float = 30) -> None:
        await self.wait_until(lambda: self.confirmed > update_id, timeout)

    async def wait_delivered(self, chat_id: int, text: str, timeout: float = 60) -> dict:
        """The first message delivered to a chat whose text contains `text`."""
        return await self.wait_until(
            lambda: next(
                (
                    p
                    for m, p in self.delivered
                    if str(p.get("chat_id")) == str(chat_id) and text in str(p.get("text", ""))
                ),
                None,
            ),
            timeout,
        )

    async def wait_for(self, method: str, timeout: float = 60) -> dict:
        """The first call of `method`."""
        found = await self.wait_until(lambda: next(([p] for m, p in self.calls if m == method), None), timeout)
        return found[0]


def _decode(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


def _ok(result) -> web.Response:
    return web.json_response({"ok": True, "result": result})


class TelegramChat:
    """One person's private chat with the bot, driven through the fake API."""

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int,
        language_code: str,
        webhook: tuple[str, str] | None = None,
        group: int | None = None,
        name: str = "Olena",
    ):
        self.api, self.user_id, self.language_code = api, user_id, language_code
        self.name = name
        self.webhook = webhook  # (url, secret) in webhook mode
        self.chat = (
            {"id": group, "type": "supergroup", "title": "Staff"} if group else {"id": user_id, "type": "private"}
        )
        self.seen: list[tuple[str, dict]] = []

    @property
    def sender(self) -> dict:
        first, _, last = self.name.partition(" ")
        named = {"first_name": first, **({"last_name": last} if last else {})}
        return {"id": self.user_id, "is_bot": False, **named, "language_code": self.language_code}

    def _message(self, **content) -> dict:
        return {
            "message": {
                "message_id": next(self.api.message_ids),
                "date": int(time.time()),
                "chat": self.chat,
                "from": self.sender,
                **content,
            }
        }

    async def says(self, text: str, reply_to: int | None = None) -> list[tuple[str, dict]]:
        quoted = (
            {
                "reply_to_message": {
                    "message_id": reply_to,
                    "date": int(time.time()),
                    "chat": self.chat,
                    "from": BOT,
                    "text": "…",
                }
            }
            if reply_to
            else {}
        )
        return await self._deliver(self._message(text=text, **quoted))

    async def shares_location(self, latitude: float, longitude: float) -> list[tuple[str, dict]]:
        return await self._deliver(self._message(location={"latitude": latitude, "longitude": longitude}))

    async def taps(self, label: str) -> list[tuple[str, dict]]:
        """Press the button whose label contains `label`, on the latest message that has one: an
        inline button sends its data; a reply keyboard's button sends its label, as Telegram does."""
        for _method, params in reversed(self.received()):
            markup = params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if label in button["text"]:
                        return await self.presses(button["callback_data"], params.get("message_id", 1))
            for row in markup.get("keyboard", []):
                for button in row:
                    if label in button["text"] and not {"request_contact", "request_location"} & button.keys():
                        return await self.says(button["text"])
        raise AssertionError(f"no button {label!r} in the chat")

    def received(self) -> list[tuple[str, dict]]:
        """Everything delivered to this chat so far, replies and outbox messages alike."""
        return [(m, p) for m, p in self.api.delivered if str(p.get("chat_id")) == str(self.chat["id"])]

    async def presses(self, callback_data: str, message_id: int = 1) -> list[tuple[str, dict]]:
        return await self._deliver(
            {
                "callback_query": {
                    "id": str(next(self.api.ids)),
                    "from": self.sender,
                    "chat_instance": "1",
                    "data": callback_data,
                    "message": {"message_id": message_id, "date": int(time.time()), "chat": self.chat},
                }
            }
        )

    async def _deliver(self, update: dict) -> list[tuple[str, dict]]:
        before = len(self.api.calls)
        if self.webhook:
            url, secret = self.webhook
            async with ClientSession() as http:
                response = await http.post(
                    url,
                    json={"update_id": next(self.api.ids), **update},
                    headers={"X-Telegram-Bot-Api-Secret-Token": secret},
                )
                assert response.status == 200, response.status
                answer = await response.json()
                if "method" in answer:  # Telegram runs a method given in the webhook's response
                    self.api.calls.append((answer.pop("method"), {**answer, "via": "webhook response"}))
        else:
            await self.api.wait_handled(await self.api.push(update))
        sent = [
            (m, p)
            for m, p in self.api.calls[before:]
            if str(p.get("chat_id")) == str(self.chat["id"]) or m == "answerCallbackQuery"
        ]
        self.seen += sent
        return sent


def texts(sent: list[tuple[str, dict]]) -> str:
    return "\n".join(str(p.get("text", p.get("title", ""))) for m, p in sent if m in SENDING)
