"""A fake Viber REST API on 127.0.0.1, and a Viber user who talks to Opora's real webhook with
signed requests, as the Viber servers would."""

import itertools
import json
import time

from aiohttp import ClientSession, web

from bot.viber.webhook import signature
from support.waiting import Watched


class FakeViberAPI(Watched):
    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, dict]] = []
        self.tokens = itertools.count(5_000_000)
        self.runner: web.AppRunner | None = None
        self.failures = 0  # how many of the next send_message calls fail with a 502

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/pa/{endpoint}", self.endpoint)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/pa"

    async def stop(self) -> None:
        await self.runner.cleanup()

    async def endpoint(self, request: web.Request) -> web.Response:
        assert request.headers.get("X-Viber-Auth-Token")
        if request.match_info["endpoint"] == "send_message" and self.failures:
            self.failures -= 1
            return web.Response(status=502, text="Bad Gateway")
        self.calls.append((request.match_info["endpoint"], await request.json()))
        await self.notify()
        return web.json_response({"status": 0, "status_message": "ok", "message_token": next(self.tokens)})

    def sent_to(self, user_id: str) -> list[dict]:
        return [p for e, p in self.calls if e == "send_message" and p["receiver"] == user_id]

    async def wait_sent(self, user_id: str, text: str, timeout: float = 60) -> dict:
        return await self.wait_until(
            lambda: next((p for p in self.sent_to(user_id) if text in p.get("text", "")), None), timeout
        )

    async def wait_for(self, endpoint: str, timeout: float = 60) -> dict:
        found = await self.wait_until(lambda: next(([p] for e, p in self.calls if e == endpoint), None), timeout)
        return found[0]


class ViberUser:
    def __init__(self, api: FakeViberAPI, webhook: str, token: str, user_id: str, language: str, name: str = "Halyna"):
        self.api, self.webhook, self.token = api, webhook, token
        self.profile = {"id": user_id, "name": name, "language": language, "country": "UA", "api_version": 10}
        self.tokens = itertools.count(int(time.time() * 1000))
        self.welcome: dict = {}

    async def post(self, body: bytes, signed: bool = True, sign_with: str | None = None) -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Viber-Content-Signature"] = signature(sign_with or self.token, body)
        async with ClientSession() as http, http.post(self.webhook, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def event(self, event: str, **fields) -> tuple[int, str]:
        body = json.dumps({"event": event, "timestamp": int(time.time() * 1000), **fields}).encode()
        return await self.post(body)

    async def opens_the_chat(self) -> dict:
        status, text = await self.event(
            "conversation_started", message_token=next(self.tokens), type="open", user=self.profile, subscribed=False
        )
        assert status == 200, text
        self.welcome = json.loads(text)
        return self.welcome

    async def _message(self, message: dict, token: int | None = None) -> list[dict]:
        before = len(self.api.sent_to(self.profile["id"]))
        status, text = await self.event(
            "message", message_token=token or next(self.tokens), sender=self.profile, message=message
        )
        assert status == 200, text
        return self.api.sent_to(self.profile["id"])[before:]

    async def says(self, text: str, token: int | None = None) -> list[dict]:
        return await self._message({"type": "text", "text": text}, token)

    async def shares_location(self, lat: float, lon: float) -> list[dict]:
        return await self._message({"type": "location", "location": {"lat": lat, "lon": lon}})

    async def shares_phone(self, phone: str) -> list[dict]:
        return await self._message({"type": "contact", "contact": {"name": "Halyna", "phone_number": phone}})

    def keyboard(self) -> list[dict]:
        for message in reversed([self.welcome, *self.api.sent_to(self.profile["id"])]):
            if message.get("keyboard"):
                return message["keyboard"]["Buttons"]
        return []

    async def taps(self, label: str) -> list[dict]:
        button = next((b for b in self.keyboard() if label in b["Text"]), None)
        assert button, f"no button {label!r} on the keyboard: {[b['Text'] for b in self.keyboard()]}"
        assert button["ActionType"] == "reply"
        return await self.says(button["ActionBody"])


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)
