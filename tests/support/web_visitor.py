"""Opora's web chat as a browser uses it: a session cookie, the JSON API and the inbox long poll."""

import asyncio
import subprocess
from pathlib import Path
from typing import Self

from aiohttp import ClientSession, CookieJar

from support.opora import OporaProcess, opora_command

ADMIN = "admin"  # the first account, which `opora run` makes when there is none


class WebOpora(OporaProcess):
    """`opora run` with no bot token: the web chat and the staff view on a free port. Its staff
    accounts are made as an admin makes them, with `opora staff add`, and get their passwords
    through their one-time links' form; `passwords` keeps them for logging in."""

    def __init__(self, tmp_path: Path, **env: str):
        super().__init__(tmp_path, **env)
        self.passwords: dict[str, str] = {}

    async def start(self, timeout: float = 120) -> Self:
        await super().start(timeout)
        await self.wait_until(lambda: self.said("Staff view:"), timeout)  # printed, apart from the log
        return self

    def first_admin_link(self) -> str | None:
        """The one-time link printed at a start with no staff account."""
        lines = "".join(self.printed).splitlines()
        return next((line.strip() for line in lines if "/staff/password" in line), None)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """`opora <args>` on this Opora's database, as an admin runs it beside the server."""
        env = {"OPORA_DATABASE_URL": self.env["OPORA_DATABASE_URL"], "OPORA_PUBLIC_URL": self.url, "PATH": ""}
        return opora_command(*args, env=env)

    async def staff_account(
        self, name: str, *queues: str, role: str = "agent", language: str = "bg", password: str | None = None
    ) -> str:
        """A staff account with a password (the first admin: from the printed link): its password."""
        if name in self.passwords:
            return self.passwords[name]
        link = self.first_admin_link() if name == ADMIN else None
        if link is None:
            options = [f"--queue={q}" for q in queues] + [f"--role={role}", f"--language={language}"]
            done = await asyncio.to_thread(self.cli, "staff", "add", name, *options)
            assert done.returncode == 0, done.stderr
            link = done.stdout.strip().splitlines()[-1]
        password = password or f"{name} has a long password"
        assert await set_password(link, password) == "/staff"
        self.passwords[name] = password
        return password

    async def admin(self) -> str:
        return await self.staff_account(ADMIN)


async def set_password(link: str, password: str) -> str:
    """What a person does with the link: the page's form, sent with the token from after '#'.
    Where the browser ends: /staff (logged in) or the form again with ?error=…"""
    path, _, token = link.partition("#")
    async with (
        ClientSession(cookie_jar=CookieJar(unsafe=True)) as browser,
        browser.post(path.split("?")[0], data={"token": token, "password": password, "repeat": password}) as response,
    ):
        return response.url.path_qs


class StaffBrowser:
    """A social worker's browser on /staff: logged in with the login form (as `name`, the first
    admin by default), sending the page's CSRF token with every change, as staff.js does."""

    def __init__(self, opora: WebOpora, name: str = ADMIN):
        self.opora = opora
        self.name = name
        self.http = ClientSession(cookie_jar=CookieJar(unsafe=True))
        self.csrf = ""

    async def logs_in(self, password: str | None = None) -> int:
        """The login form, with the account's password unless another is given; then the CSRF
        token, as the staff page reads it."""
        if password is None:
            password = await self.opora.staff_account(self.name)
        async with self.http.post(
            self.opora.url + "/staff/login", data={"name": self.name, "password": password}
        ) as response:
            status = response.status
        async with self.http.get(self.opora.url + "/staff/api/me") as response:
            if response.status == 200:
                self.csrf = (await response.json())["csrf"]
        return status

    def cookie(self) -> str:
        return next((c.value for c in self.http.cookie_jar if c.key == "opora_staff"), "")

    async def get(self, path: str, **params) -> tuple[int, dict]:
        async with self.http.get(self.opora.url + path, params=params) as response:
            answer = await response.json()
            self.csrf = answer.get("csrf", self.csrf) if isinstance(answer, dict) else self.csrf
            return response.status, answer

    async def post(self, path: str, headers: dict | None = None, **kwargs) -> tuple[int, dict]:
        async with self.http.post(
            self.opora.url + path, headers={"X-CSRF-Token": self.csrf, **(headers or {})}, **kwargs
        ) as response:
            return response.status, await response.json()

    async def close(self) -> None:
        await self.http.close()


class Visitor:
    """One browser: its own cookie jar, so its own conversation."""

    def __init__(self, opora: WebOpora, language: str = "uk-UA"):
        self.opora = opora
        self.language = language
        self.http = ClientSession(cookie_jar=CookieJar(unsafe=True))  # unsafe: cookies for 127.0.0.1
        self.screens: list[dict] = []
        self.inbox_after = 0
        self.csrf: str | None = None

    async def close(self) -> None:
        await self.http.close()

    async def opens_the_page(self) -> str:
        async with self.http.get(self.opora.url + "/") as response:
            assert response.status == 200
            return await response.text()

    async def headers(self) -> dict:
        """What the page sends with a change: its session's CSRF token (from /api/ui, as chat.js)."""
        if self.csrf is None:
            async with self.http.get(self.opora.url + "/api/ui?page=chat") as response:
                self.csrf = (await response.json())["csrf"]
        return {"X-CSRF-Token": self.csrf}

    async def post(self, body) -> tuple[int, dict]:
        async with self.http.post(
            self.opora.url + "/api/messages", json=body, headers=await self.headers()
        ) as response:
            return response.status, await response.json()

    async def sends(self, **content) -> dict:
        status, answer = await self.post({**content, "language": self.language})
        assert status == 200, answer
        self.screens.append(answer)
        return answer

    async def says(self, text: str) -> dict:
        return await self.sends(text=text)

    async def taps(self, label: str) -> dict:
        """Press the newest button whose label contains `label`."""
        for screen in reversed(self.screens):
            for reply in reversed(screen["replies"]):
                for row in reversed(reply.get("buttons", [])):
                    for button in row:
                        if label in button["label"]:
                            return await self.sends(payload=button["payload"])
        raise AssertionError(f"no button {label!r} on screen")

    async def shares_location(self, latitude: float, longitude: float) -> dict:
        return await self.sends(location={"latitude": latitude, "longitude": longitude})

    async def receives(self, wanted: str, timeout: float = 30) -> dict:
        """Wait in the inbox long poll for a later message containing `wanted`."""

        async def poll():
            while True:
                async with self.http.get(self.opora.url + "/api/inbox", params={"after": self.inbox_after}) as r:
                    for message in (await r.json())["messages"]:
                        self.inbox_after = message["id"]
                        for reply in message["replies"]:
                            if wanted in text(reply):
                                return reply

        return await asyncio.wait_for(poll(), timeout)


def text(answer: dict) -> str:
    """What a person reads: titles and texts of the replies (or of one reply)."""
    replies = answer.get("replies", [answer])
    return "\n".join(f"{r.get('title') or ''}\n{r.get('text') or r.get('address') or ''}" for r in replies)
