"""Messages waiting for a browser: what the outbox delivers to a web chat (a staff reply, a
status change, a new request's card for the staff view). Rows stay until the browser has
shown them, so a closed tab or a restart loses nothing."""

import asyncio
import contextlib
import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Integer, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class WebInboxMessage(Base):
    __tablename__ = "opora_web_inbox"
    # Browsers acknowledge by id, so an id must never come back once its row is deleted.
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[str] = mapped_column(String(100), index=True)
    message: Mapped[dict[str, Any]] = mapped_column()  # a rendered reply, as in the outbox
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebInbox:
    """The outbox's sender for the "web" channel, and what the browsers poll."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], poll_every: float = 1.0):
        self.sessions = sessions
        self.poll_every = poll_every  # another worker may have written; look again this often
        self._arrived = asyncio.Condition()
        self._closing = False

    async def send(self, chat_id: str, message: dict[str, Any], reply_to: str | None) -> str:
        async with self.sessions() as session, session.begin():
            row = WebInboxMessage(chat_id=chat_id, message=message, created_at=dt.datetime.now(dt.UTC))
            session.add(row)
            await session.flush()
            sent = row.id
        async with self._arrived:
            self._arrived.notify_all()
        return str(sent)

    async def wait(self, chat_id: str, after: int, timeout: float) -> list[WebInboxMessage]:
        """The messages after `after`, waiting up to `timeout` seconds for one to arrive. Those up
        to `after` have been shown, and are deleted."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(WebInboxMessage).where(WebInboxMessage.chat_id == chat_id, WebInboxMessage.id <= after)
            )
        while True:
            async with self.sessions() as session:
                found = (
                    await session.scalars(
                        select(WebInboxMessage)
                        .where(WebInboxMessage.chat_id == chat_id, WebInboxMessage.id > after)
                        .order_by(WebInboxMessage.id)
                    )
                ).all()
            left = deadline - loop.time()
            if found or left <= 0 or self._closing:
                return list(found)
            async with self._arrived:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), min(left, self.poll_every))

    async def close(self) -> None:
        """The server is stopping: every long poll answers now, so Ctrl-C takes a moment, not 25 s."""
        self._closing = True
        async with self._arrived:
            self._arrived.notify_all()

    async def forget(self, chat_id: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(delete(WebInboxMessage).where(WebInboxMessage.chat_id == chat_id))

    async def erase_older(self, age: dt.timedelta) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(WebInboxMessage).where(WebInboxMessage.created_at < dt.datetime.now(dt.UTC) - age)
            )
