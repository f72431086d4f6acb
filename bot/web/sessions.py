"""Browser sessions, issued only by the server.

- A citizen's session id is random and signed with a key kept in the database, so any worker
  can tell an id it issued from one a client made up, without a row per visitor.
- A staff session belongs to a staff account. It is made anew at every log-in, kept on the
  server (only a hash of its id), and ends at log-out, after `STAFF_IDLE` without a request,
  `STAFF_LIFETIME` after the log-in, and at once when the account is disabled or gets a new
  password (`end_account`).

A cookie the server never issued, or one that has expired, is replaced: nobody can hand another
person a session id of their choosing (session fixation)."""

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from bot.helpdesk.models import aware
from bot.storage.base import Base

ID_BYTES = 24  # 192 random bits: an id is made by the server, never guessed
STAFF_LIFETIME = dt.timedelta(hours=12)  # a working day, then log in again
STAFF_IDLE = dt.timedelta(hours=2)  # no open staff page for this long (an open one asks every 25 s)
SEEN_EVERY = dt.timedelta(minutes=1)  # how often the last request is written down: not a write per request


class Kind(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"


class Secret(Base):
    """Keys the workers share, made by the first one that needs them."""

    __tablename__ = "opora_secret"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(100))


class WebSession(Base):
    __tablename__ = "opora_web_session"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)  # a staff session's account
    seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # its last request


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    """What a page sends back in X-CSRF-Token with every change: only a page that can read the
    server's answers (the same origin) has it, and it is bound to the session."""
    return hashlib.sha256(f"csrf:{session_id}".encode()).hexdigest()[:32]


async def shared_key(sessions: async_sessionmaker[AsyncSession], name: str) -> str:
    """The key every worker uses for `name`: the first to ask makes it."""
    try:
        async with sessions() as session, session.begin():
            session.add(Secret(name=name, value=secrets.token_urlsafe(32)))
    except IntegrityError:
        pass  # made before, here or by another worker
    async with sessions() as session:
        return (await session.execute(select(Secret.value).where(Secret.name == name))).scalar_one()


class Sessions:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], now: Callable[[], dt.datetime], key: str):
        self.sessions = sessions
        self.now = now
        self._key = key.encode()

    def citizen(self) -> str:
        token = secrets.token_urlsafe(ID_BYTES)
        return f"{token}.{self._sign(token)}"

    def citizen_valid(self, session_id: str | None) -> bool:
        token, _dot, signature = (session_id or "").partition(".")
        return len(token) >= 32 and hmac.compare_digest(signature.encode(), self._sign(token).encode())

    def _sign(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()[:32]

    async def staff(self, account_id: int) -> str:
        session_id = secrets.token_urlsafe(ID_BYTES)
        now = self.now()
        async with self.sessions() as session, session.begin():
            session.add(
                WebSession(
                    id_hash=digest(session_id),
                    kind=Kind.STAFF,
                    expires_at=now + STAFF_LIFETIME,
                    account_id=account_id,
                    seen_at=now,
                )
            )
        return session_id

    async def staff_account(self, session_id: str | None) -> int | None:
        """The account of a staff session the server issued and that has not ended."""
        if not session_id or len(session_id) > 100:
            return None
        async with self.sessions() as session:
            row = await session.get(WebSession, digest(session_id))
        if row is None or row.kind != Kind.STAFF or row.account_id is None:
            return None
        now, seen = self.now(), aware(row.seen_at or row.expires_at - STAFF_LIFETIME)
        if aware(row.expires_at) <= now or seen + STAFF_IDLE <= now:
            await self.end(session_id)
            return None
        if now - seen >= SEEN_EVERY:
            async with self.sessions() as session, session.begin():
                await session.execute(update(WebSession).where(WebSession.id_hash == row.id_hash).values(seen_at=now))
        return row.account_id

    async def end(self, session_id: str | None) -> None:
        if session_id:
            async with self.sessions() as session, session.begin():
                await session.execute(delete(WebSession).where(WebSession.id_hash == digest(session_id)))

    async def prune(self) -> int:
        """Deletes the sessions past their lifetime (idle ones are refused, and deleted when shown)."""
        async with self.sessions() as session, session.begin():
            deleted = delete(WebSession).where(WebSession.expires_at < self.now())
            gone = cast("CursorResult[Any]", await session.execute(deleted))  # a DELETE's result
        return gone.rowcount


async def end_account(session: AsyncSession, account_id: int) -> None:
    """Every session of the account ends (in the transaction that disables it): an `Ender`."""
    await session.execute(delete(WebSession).where(WebSession.account_id == account_id))
