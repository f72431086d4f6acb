"""Messages waiting for a browser: what the outbox delivers to a web chat (a staff reply, a
status change, a new request's card for the staff view). Rows stay until the browser has
shown them, so a closed tab or a restart loses nothing.

And a citizen's transcript: what they said and what they were answered, kept on the server for
their session, so that a reopened tab shows the conversation again. It is erased when they ask
to be forgotten, and after the retention period; a chat keeps its newest `KEEP` entries."""

import asyncio
import contextlib
import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.events import Reply, Venue
from bot.core.events import Text as TextReply
from bot.storage.base import Base

KEEP = 300  # transcript entries kept per chat: the newest


def reply_json(reply: Reply) -> dict[str, Any]:
    """A reply as the browser draws it."""
    if isinstance(reply, Venue):
        return {
            "type": "venue",
            "title": reply.title,
            "address": reply.address,
            "latitude": reply.latitude,
            "longitude": reply.longitude,
        }
    return {
        "type": "text",
        "title": reply.title,
        "text": reply.text,
        "buttons": [
            [
                {"label": b.label, "payload": b.payload} | ({} if b.pressed is None else {"pressed": b.pressed})
                for b in row
            ]
            for row in reply.buttons
        ],
        "request": reply.request,
        "request_label": reply.request_label,
        # It takes the place of the bot message whose button was pressed (a list of toggles redrawn).
        "replaces": reply.replaces,
    }


def message_json(message: dict[str, Any]) -> dict[str, Any]:
    """An outbox message (see `to_message`) as a reply."""
    return reply_json(TextReply(message.get("text", ""), title=message.get("title"))) | {
        "buttons": [
            [{"label": label, "payload": payload} for label, payload in row] for row in message.get("buttons", [])
        ]
    }


class WebInboxMessage(Base):
    __tablename__ = "opora_web_inbox"
    # Browsers acknowledge by id, so an id must never come back once its row is deleted.
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[str] = mapped_column(String(100), index=True)
    message: Mapped[dict[str, Any]] = mapped_column()  # a rendered reply, as in the outbox
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebTranscriptEntry(Base):
    """One exchange of a citizen's web chat: what they said (nothing for a message the page sent
    unseen, such as /start) and the replies, as the browser draws them; or a message from the
    inbox, once the browser has shown it."""

    __tablename__ = "opora_web_transcript"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[str] = mapped_column(String(100), index=True)
    key: Mapped[str | None] = mapped_column(String(64))  # the browser's key of the message: a repeat is answered alike
    said: Mapped[str | None] = mapped_column(Text)
    replies: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    def entry(self) -> dict[str, Any]:
        return {"said": self.said, "replies": self.replies}


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

    async def wait(self, chat_id: str, after: int, timeout: float, keep: bool = False) -> list[WebInboxMessage]:
        """The messages after `after`, waiting up to `timeout` seconds for one to arrive. Those up
        to `after` have been shown, and are deleted; with `keep`, they go on to the transcript."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self.sessions() as session, session.begin():
            shown = WebInboxMessage.chat_id == chat_id, WebInboxMessage.id <= after
            if keep and after:
                for row in await session.scalars(select(WebInboxMessage).where(*shown).order_by(WebInboxMessage.id)):
                    session.add(self._entry(chat_id, None, [message_json(row.message)], None))
            await session.execute(delete(WebInboxMessage).where(*shown))
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
            await session.execute(delete(WebTranscriptEntry).where(WebTranscriptEntry.chat_id == chat_id))

    async def erase_older(self, age: dt.timedelta) -> None:
        before = dt.datetime.now(dt.UTC) - age
        async with self.sessions() as session, session.begin():
            await session.execute(delete(WebInboxMessage).where(WebInboxMessage.created_at < before))
            await session.execute(delete(WebTranscriptEntry).where(WebTranscriptEntry.created_at < before))

    # --- the transcript -----------------------------------------------------------------

    async def record(self, chat_id: str, said: str | None, replies: list[dict[str, Any]], key: str | None) -> None:
        """An exchange, at the end of the chat's transcript; the oldest beyond `KEEP` go."""
        async with self.sessions() as session, session.begin():
            session.add(self._entry(chat_id, said, replies, key))
            mine = WebTranscriptEntry.chat_id == chat_id
            oldest_kept = await session.scalar(
                select(WebTranscriptEntry.id).where(mine).order_by(WebTranscriptEntry.id.desc()).offset(KEEP).limit(1)
            )
            if oldest_kept is not None:
                await session.execute(delete(WebTranscriptEntry).where(mine, WebTranscriptEntry.id <= oldest_kept))

    async def transcript(self, chat_id: str) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(WebTranscriptEntry).where(WebTranscriptEntry.chat_id == chat_id).order_by(WebTranscriptEntry.id)
            )
            return [row.entry() for row in rows]

    async def answered(self, chat_id: str, key: str) -> list[dict[str, Any]]:
        """The replies a message with this key was given (none, if it was the last thing forgotten)."""
        async with self.sessions() as session:
            row = await session.scalar(
                select(WebTranscriptEntry).where(WebTranscriptEntry.chat_id == chat_id, WebTranscriptEntry.key == key)
            )
        return row.replies if row else []

    @staticmethod
    def _entry(chat_id: str, said: str | None, replies: list[dict[str, Any]], key: str | None) -> WebTranscriptEntry:
        return WebTranscriptEntry(
            chat_id=chat_id, key=key, said=said, replies=replies, created_at=dt.datetime.now(dt.UTC)
        )
