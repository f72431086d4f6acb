"""An in-process channel: a test talks to the conversation core the way a person would."""

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import App, build_app, build_conversation, build_engine, ensure_catalog
from bot.core.conversation import Conversation
from bot.core.events import Button, Event, Text, User

MONDAY_MORNING = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # 10:00 in Kyiv and Sofia: offices are open


class Said(list):
    """The replies to one message, as a person reads them."""

    @property
    def text(self) -> str:
        return "\n".join(filter(None, (f"{r.title or ''}\n{r.text}" if isinstance(r, Text) else r.title for r in self)))

    @property
    def buttons(self) -> list[Button]:
        return [b for r in self if isinstance(r, Text) for row in r.buttons for b in row]

    def labels(self) -> list[str]:
        return [b.label for b in self.buttons]


class FakeChannel:
    def __init__(self, conversation: Conversation, user_id: str = "7", language: str | None = "uk"):
        self.conversation = conversation
        self.user = User("test", user_id, "Olena", language)
        self.history: list[Said] = []

    async def _send(self, **content) -> Said:
        said = Said(await self.conversation.handle(Event(self.user, **content)))
        self.history.append(said)
        return said

    async def says(self, text: str | None) -> Said:
        return await self._send(text=text)

    async def presses(self, payload: str) -> Said:
        return await self._send(payload=payload)

    async def shares_location(self, latitude: float, longitude: float) -> Said:
        return await self._send(location=(latitude, longitude))

    async def shares_contact(self, phone: str) -> Said:
        return await self._send(contact=phone)

    async def taps(self, label: str) -> Said:
        """Press the newest button whose label contains `label`."""
        for said in reversed(self.history):
            for button in reversed(said.buttons):
                if label in button.label:
                    return await self.presses(button.payload)
        raise AssertionError(f"no button {label!r} on screen")


@asynccontextmanager
async def app_on_a_clock(directory: Path, staff: tuple[str, str] | None = None) -> AsyncIterator[App]:
    """Opora in this process, on SQLite in `directory` with the seed catalogue, its conversation on
    a clock the test sets (`app.clock[0]`, Monday morning at first); `staff`: a staff chat (channel,
    chat) bound to every queue, as the web staff view is."""
    from bot.settings import Settings

    app = await build_app(Settings(database_url=f"sqlite+aiosqlite:///{directory}/opora.sqlite3"))
    await ensure_catalog(app)
    clock = [MONDAY_MORNING]
    app.conversation = build_conversation(app, await build_engine(app), now=lambda: clock[0])
    app.clock = clock
    if staff:
        await app.conversation.services.desk.bind_everywhere(*staff)
    try:
        yield app
    finally:
        await app.close()
