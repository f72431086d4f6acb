"""Staff accounts: a person who works on some queues, logs in to the web staff view by name and
password, and reads it in their own language.

A new account has no password: it gets a one-time link (72 hours; only its hash is stored) to set
one. An account's web staff chat, ("web", account.chat), is bound in `opora_staff_chat` to each
of its queues, so the help desk's own authorisation (a chat bound to the request's queue) and
the delivery of new requests work as for any staff chat. Changing the queues rewrites those
rows; disabling the account removes them and ends its sessions (the `enders`)."""

import asyncio
import datetime as dt
import functools
import hashlib
import secrets
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import JSON, Boolean, DateTime, Integer, String, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from bot.helpdesk.models import StaffChat, aware
from bot.storage.base import Base
from catalog.models import Queue

Role = Literal["agent", "editor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
LANGUAGES = ("bg", "uk")
CHANNEL = "web"  # the web staff view's channel (bot/web/chat.py's CHANNEL)
MIN_PASSWORD = 10  # characters; a pass phrase of a few words is better still
MAX_PASSWORD = 1000
MAX_NAME = 100
LINK_LIFETIME = dt.timedelta(hours=72)
FIRST_ADMIN = "admin"
# Called in the transaction that disables an account (or sets a new password) with its id: what
# other layers keep for it (the web sessions) ends with it.
Ender = Callable[[AsyncSession, int], Awaitable[None]]

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Account:
    id: int
    name: str  # shown to colleagues ("taken by Maria Ivanova")
    role: Role
    language: str  # "bg" | "uk": the staff member's own language, for everything staff read
    queues: tuple[str, ...]

    @property
    def chat(self) -> str:
        return f"account-{self.id}"


@dataclass(frozen=True)
class Listed:
    """An account as an admin sees it in the list."""

    account: Account
    enabled: bool
    has_password: bool
    link_expires_at: dt.datetime | None  # a one-time link not used yet

    def state(self, now: dt.datetime) -> Literal["active", "invited", "link expired", "disabled"]:
        if not self.enabled:
            return "disabled"
        if self.link_expires_at is not None and not self.has_password:
            return "invited" if self.link_expires_at > now else "link expired"
        return "active"


class StaffAccount(Base):
    __tablename__ = "opora_staff_account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    login: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)  # the name case-folded: what log-in compares
    role: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    queues: Mapped[list[str]] = mapped_column(JSON)  # also bound as staff chats while enabled
    password_hash: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # the one-time link's
    link_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AccountError(ValueError):
    """Bad input from an admin. The message says exactly what, in English, for the command line;
    `kind` and `value` let the web say it in the admin's language."""

    def __init__(
        self, kind: Literal["name", "role", "language", "no queue", "queue", "duplicate", "unknown"], value: str = ""
    ):
        self.kind, self.value = kind, value
        super().__init__(
            {
                "name": f"a name must be 1 to {MAX_NAME} printable characters",
                "role": f"no role {value!r}; one of: {', '.join(ROLES)}",
                "language": f"no language {value!r}; one of: {', '.join(LANGUAGES)}",
                "no queue": "an account needs at least one queue (--queue QUEUE_ID)",
                "queue": f"no queue {value!r}; see `opora staff queues`",
                "duplicate": f"an account named {value!r} exists already",
                "unknown": f"no account {value!r}; see `opora staff list`",
            }[kind]
        )


class AccountDisabled(Exception):
    """The right name and password of a disabled account: they are told to ask their administrator."""


class LinkInvalid(Exception):
    """The one-time link was used, has expired, or never was."""


class PasswordTooShort(Exception):
    pass


def _hash_link(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_of(name: str) -> str:
    return unicodedata.normalize("NFKC", " ".join(name.split())).casefold()


@functools.cache
def _dummy_hash() -> str:
    """Checked against for an unknown name, so that it takes as long as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _account(row: StaffAccount) -> Account:
    return Account(row.id, row.name, cast("Role", row.role), row.language, tuple(row.queues))


class Accounts:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        now: Callable[[], dt.datetime],
        enders: Sequence[Ender] = (),
    ):
        self.sessions = sessions
        self.now = now
        self.enders = list(enders)

    # --- for admins -------------------------------------------------------------------------

    async def add(
        self, name: str, queues: Sequence[str], role: str = "agent", language: str = "bg"
    ) -> tuple[Account, str]:
        """A new account and its one-time link's token."""
        name = " ".join(name.split())
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise AccountError("name", name)
        if role not in ROLES:
            raise AccountError("role", role)
        if language not in LANGUAGES:
            raise AccountError("language", language)
        chosen = await self._checked_queues(queues)
        token = secrets.token_urlsafe(32)
        try:
            async with self.sessions() as session, session.begin():
                if await session.scalar(select(StaffAccount.id).where(StaffAccount.login == login_of(name))):
                    raise AccountError("duplicate", name)
                row = StaffAccount(
                    name=name,
                    login=login_of(name),
                    role=role,
                    language=language,
                    queues=chosen,
                    enabled=True,
                    link_hash=_hash_link(token),
                    link_expires_at=self.now() + LINK_LIFETIME,
                    created_at=self.now(),
                )
                session.add(row)
                await session.flush()
                await self._bind(session, row, chosen)
        except IntegrityError:
            raise AccountError("duplicate", name) from None  # added at the same moment by another admin
        return _account(row), token

    async def first_admin(self, language: str = "bg") -> str | None:
        """When there is no account yet: an admin on every queue, and its link's token."""
        async with self.sessions() as session:
            if await session.scalar(select(func.count()).select_from(StaffAccount)):
                return None
            queues = list((await session.scalars(select(Queue.id).order_by(Queue.id))).all())
        try:
            return (await self.add(FIRST_ADMIN, queues, "admin", language))[1]
        except AccountError:
            return None  # another worker, starting at the same moment, made it

    async def all(self) -> list[Listed]:
        async with self.sessions() as session:
            rows = (await session.scalars(select(StaffAccount).order_by(StaffAccount.login))).all()
        return [
            Listed(
                _account(r),
                r.enabled,
                r.password_hash is not None,
                aware(r.link_expires_at) if r.link_expires_at and r.link_hash else None,
            )
            for r in rows
        ]

    async def named(self, name: str) -> Account | None:
        async with self.sessions() as session:
            row = await session.scalar(select(StaffAccount).where(StaffAccount.login == login_of(name)))
        return _account(row) if row else None

    async def disable(self, name: str) -> Account:
        """No more log-in, its sessions end and its chat is unbound at once."""

        async def change(session: AsyncSession, row: StaffAccount) -> None:
            row.enabled = False
            await self._bind(session, row, [])
            for end in self.enders:
                await end(session, row.id)

        return await self._change(name, change)

    async def enable(self, name: str) -> Account:
        async def change(session: AsyncSession, row: StaffAccount) -> None:
            row.enabled = True
            await self._bind(session, row, await self._existing(session, row.queues))

        return await self._change(name, change)

    async def invite(self, name: str) -> tuple[Account, str]:
        """A new one-time link (the previous one stops working); the password stays until it is used."""
        token = secrets.token_urlsafe(32)

        async def change(session: AsyncSession, row: StaffAccount) -> None:
            row.link_hash, row.link_expires_at = _hash_link(token), self.now() + LINK_LIFETIME

        return await self._change(name, change), token

    async def set_queues(self, name: str, queues: Sequence[str]) -> Account:
        chosen = await self._checked_queues(queues)

        async def change(session: AsyncSession, row: StaffAccount) -> None:
            row.queues = chosen
            if row.enabled:
                await self._bind(session, row, chosen)

        return await self._change(name, change)

    async def _change(self, name: str, change: Callable[[AsyncSession, StaffAccount], Awaitable[None]]) -> Account:
        async with self.sessions() as session, session.begin():
            row = await session.scalar(
                select(StaffAccount).where(StaffAccount.login == login_of(name)).with_for_update()
            )
            if row is None:
                raise AccountError("unknown", name)
            await change(session, row)
        return _account(row)

    async def _checked_queues(self, queues: Sequence[str]) -> list[str]:
        chosen = list(dict.fromkeys(q.strip() for q in queues))
        if not chosen:
            raise AccountError("no queue")
        async with self.sessions() as session:
            known = set((await session.scalars(select(Queue.id).where(Queue.id.in_(chosen)))).all())
        for queue_id in chosen:
            if queue_id not in known:
                raise AccountError("queue", queue_id)
        return chosen

    @staticmethod
    async def _existing(session: AsyncSession, queues: Sequence[str]) -> list[str]:
        """The queues still in the catalogue (a catalogue load may have removed one)."""
        known = set((await session.scalars(select(Queue.id).where(Queue.id.in_(list(queues))))).all())
        return [q for q in queues if q in known]

    async def _bind(self, session: AsyncSession, row: StaffAccount, queues: Sequence[str]) -> None:
        """The account's web chat on these queues, in the account's language (what it reads: cards, reminders)."""
        chat = f"account-{row.id}"
        await session.execute(delete(StaffChat).where(StaffChat.channel == CHANNEL, StaffChat.chat_id == chat))
        for queue_id in queues:
            session.add(
                StaffChat(queue_id=queue_id, channel=CHANNEL, chat_id=chat, language=row.language, bound_at=self.now())
            )

    # --- for the staff member -----------------------------------------------------------------

    async def set_password(self, token: str, password: str) -> Account:
        """The link's account with this password; the link stops working, and sessions made with an
        earlier password end."""
        if len(password) < MIN_PASSWORD:
            raise PasswordTooShort(MIN_PASSWORD)
        if len(password) > MAX_PASSWORD or not token or len(token) > 100:
            raise LinkInvalid()
        hashed = await asyncio.to_thread(_hasher.hash, password)  # ~50 ms of CPU: not on the event loop
        async with self.sessions() as session, session.begin():
            row = await session.scalar(
                select(StaffAccount).where(StaffAccount.link_hash == _hash_link(token)).with_for_update()
            )
            if row is None or not row.enabled or row.link_expires_at is None or aware(row.link_expires_at) < self.now():
                raise LinkInvalid()
            row.password_hash, row.link_hash, row.link_expires_at = hashed, None, None
            for end in self.enders:
                await end(session, row.id)
        return _account(row)

    async def verify(self, name: str, password: str) -> Account | None:
        """The enabled account with this name and password; None for a wrong name or password alike
        (an unknown name is checked against a dummy hash: it takes as long)."""
        row = None
        if len(name) <= MAX_NAME and len(password) <= MAX_PASSWORD:
            async with self.sessions() as session:
                row = await session.scalar(select(StaffAccount).where(StaffAccount.login == login_of(name)))
        hashed = row.password_hash if row is not None and row.password_hash else _dummy_hash()
        right = await asyncio.to_thread(_matches, hashed, password[:MAX_PASSWORD])
        if right and row is not None and row.password_hash and not row.enabled:
            raise AccountDisabled(row.name)  # only with the right password: a guess learns nothing
        return _account(row) if right and row is not None and row.enabled and row.password_hash else None

    async def admin_chats(self) -> set[str]:
        """The web staff chats of admins: bound to queues to oversee them, not to work in them."""
        async with self.sessions() as session:
            ids = (await session.scalars(select(StaffAccount.id).where(StaffAccount.role == "admin"))).all()
        return {f"account-{i}" for i in ids}

    async def get(self, account_id: int) -> Account | None:
        """The account, while it is enabled and has a password."""
        async with self.sessions() as session:
            row = await session.get(StaffAccount, account_id)
        return _account(row) if row is not None and row.enabled and row.password_hash else None


def _matches(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def listing(listed: Sequence[Listed], now: dt.datetime) -> list[dict[str, Any]]:
    """The accounts as the admin page and `opora staff list --json` show them."""
    return [
        {
            "id": item.account.id,
            "name": item.account.name,
            "role": item.account.role,
            "language": item.account.language,
            "queues": list(item.account.queues),
            "state": item.state(now),
        }
        for item in listed
    ]
