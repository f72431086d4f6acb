"""Per-user conversation state in the database: it survives restarts and every channel uses it."""

import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import DateTime, String, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.events import User
from bot.core.flows import HANDOFF_FLOWS, Flow, StateData, read_flow
from bot.helpdesk.desk import OPEN
from bot.helpdesk.models import HelpRequest
from bot.storage.base import Base
from bot.storage.engine import Statements

log = logging.getLogger(__name__)


def _changed(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE changed (its result is a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount


class ChatState(Base):
    __tablename__ = "opora_chat_state"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(5))
    flow: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # drafts and the current screen
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # When the unsent help-request draft in `data` was begun; it expires with all it holds.
    draft_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class ProcessedUpdate(Base):
    """Updates handled, or being handled (a Viber message_token, a Telegram update_id): a repeated
    delivery is recognised and handled once. A row without `handled_at` is a claim: a worker is at
    it, or died at it, which the claim's age tells."""

    __tablename__ = "opora_processed_update"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # when it was claimed
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Claim(StrEnum):
    NEW = "new"  # handle it now
    HANDLED = "handled"  # it was handled before
    BUSY = "busy"  # another worker is handling it: ask for it again later, in case that worker dies


# How long a webhook's claim on an update holds: longer than any turn takes (aiogram answers a
# webhook by 55 s), so an older claim is a dead worker's.
WEBHOOK_CLAIM = dt.timedelta(seconds=60)
# How long the record of a handled update is kept: platforms redeliver for hours, not days. A
# channel whose events carry their time refuses those older than half of this (a replay).
UPDATES_KEPT = dt.timedelta(days=2)
UPSERTS: dict[str, Callable[[type[Base]], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def draft_begun(data: StateData) -> dt.datetime | None:
    """When the unsent draft in the state was begun: None when there is none (or it was sent)."""
    draft = data.get("handoff")
    if not isinstance(draft, dict) or "sent" in draft or not draft.get("at"):
        return None
    try:
        begun = dt.datetime.fromisoformat(draft["at"])
    except (TypeError, ValueError):
        return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # unreadable: as good as expired
    return begun if begun.tzinfo else begun.replace(tzinfo=dt.UTC)


def drop_draft(state: "State") -> None:
    """An expired draft goes with everything in it; a conversation inside it starts over."""
    state.data.pop("handoff", None)
    if state.flow in HANDOFF_FLOWS:
        state.flow = None


@dataclass
class State:
    language: str | None = None
    flow: Flow | None = None
    data: StateData = field(default_factory=lambda: StateData())

    @classmethod
    def of(cls, row: ChatState) -> "State":
        data = cast(StateData, dict(row.data or {}))
        return cls(row.language, read_flow(row.flow, data), data)


class StateStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        draft_lifetime: dt.timedelta = dt.timedelta(hours=24),
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        statements: Statements | None = None,
    ):
        self.sessions = sessions
        self._statements = statements or Statements(sessions.kw["bind"])
        self._hot = _HotStatements(UPSERTS[self._statements.engine.dialect.name])
        self.draft_lifetime = draft_lifetime  # a help-request draft never sent is dropped after this
        self.now = now  # the conversation's clock: drafts are stamped with it

    async def load(self, user: User) -> State:
        rows = await self._statements.run(self._hot.load, {"b_channel": user.channel, "b_user": user.id}, write=False)
        if not rows:
            return State()
        row = rows[0]
        data = cast(StateData, dict(row.data or {}))
        state = State(row.language, read_flow(row.flow, data), data)
        begun = draft_begun(state.data)
        if begun is not None and begun < self.now() - self.draft_lifetime:
            drop_draft(state)  # expired, though not yet cleared by expire_drafts
        return state

    async def save(self, user: User, state: State) -> None:
        await self._statements.run(
            self._hot.save,
            {
                "channel": user.channel,
                "user_id": user.id,
                "language": state.language,
                "flow": state.flow,
                "data": dict(state.data),
                "updated_at": self.now(),
                "draft_at": draft_begun(state.data),
            },
            write=True,
        )

    async def expire_drafts(self) -> int:
        """Drop the help-request drafts begun longer than `draft_lifetime` ago and never sent: the
        text, phone number and location in them go."""
        before = self.now() - self.draft_lifetime
        async with self.sessions() as session, session.begin():
            rows = (await session.scalars(select(ChatState).where(ChatState.draft_at < before).with_for_update())).all()
            for row in rows:
                state = State.of(row)
                drop_draft(state)
                row.flow, row.data, row.draft_at = state.flow, dict(state.data), None
        return len(rows)

    async def prune(self, idle: dt.timedelta) -> int:
        """Forget conversations nobody has continued for `idle` (a browser that never came back,
        a person who left): their language and where they were. Not while a help request of
        theirs is open: staff may still answer it, and the reply typed to that answer must be
        known as one (`asked`, bot/core/dialogs/handoff.py)."""
        waiting = select(HelpRequest.id).where(
            HelpRequest.channel == ChatState.channel,
            HelpRequest.user_id == ChatState.user_id,
            HelpRequest.status.in_(OPEN),
        )
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(ChatState).where(ChatState.updated_at < self.now() - idle, ~waiting.exists())
            )
        return _changed(result)

    async def forget(self, user: User) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(ChatState).where(ChatState.channel == user.channel, ChatState.user_id == user.id)
            )

    @asynccontextmanager
    async def handling(self, channel: str, key: str, expires: dt.timedelta) -> AsyncIterator[Claim]:
        """Handle an update once: claim it, and when it was NEW, mark it handled after the block,
        or drop the claim if the block fails, so that the next delivery of it is handled."""
        claim = await self.claim_update(channel, key, expires)
        if claim is not Claim.NEW:
            yield claim
            return
        try:
            yield claim
        except Exception:
            await self.forget_update(channel, key)
            raise
        await self.handled_update(channel, key)

    async def claim_update(self, channel: str, key: str, expires: dt.timedelta) -> Claim:
        """Claim an update for handling. A claim older than `expires` was left by a worker that
        died while handling it, and is taken over."""
        now = dt.datetime.now(dt.UTC)
        claim = {"channel": channel, "key": key, "at": now, "b_dead": now - expires}
        if await self._statements.run(self._hot.claim, claim, write=True):  # new, or a dead worker's taken over
            return Claim.NEW
        rows = await self._statements.run(self._hot.handled, {"b_channel": channel, "b_key": key}, write=False)
        handled = rows[0].handled_at if rows else None
        # None also when the claim was dropped meanwhile: another worker is at it again
        return Claim.HANDLED if handled else Claim.BUSY

    async def handled_update(self, channel: str, key: str) -> None:
        """Mark a claimed update handled. Its answer has gone out, so a failure here (the database
        went away) is logged, not raised: raising would have the update delivered and answered
        again. The claim then stays, and only a delivery after it expired would be handled."""
        try:
            mark = {"b_channel": channel, "b_key": key, "handled_at": dt.datetime.now(dt.UTC)}
            await self._statements.run(self._hot.mark, mark, write=True)
        except Exception:
            log.exception("%s update %s was handled but could not be marked so", channel, key)

    async def forget_update(self, channel: str, key: str) -> None:
        await self._statements.run(self._hot.forget, {"b_channel": channel, "b_key": key}, write=True)

    async def forget_updates_before(self, moment: dt.datetime) -> None:
        """Old records go: Telegram starts update_ids afresh after a week of quiet, so a very old
        record could make a new update look handled."""
        async with self.sessions() as session, session.begin():
            await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < moment))

    async def subscribed(self, user: User, subscribed: bool) -> None:
        """Record whether the person subscribed to the bot (Viber sends only to subscribers)."""
        state = await self.load(user)
        state.data["subscribed"] = subscribed
        await self.save(user, state)


class _HotStatements:
    """The statements of every update, built once: building one costs more than running it."""

    def __init__(self, upsert: Callable[[type[Base]], postgresql.Insert | sqlite.Insert]):
        state, update_row = ChatState.__table__.c, ProcessedUpdate.__table__.c
        self.load = select(state.language, state.flow, state.data).where(
            state.channel == bindparam("b_channel"), state.user_id == bindparam("b_user")
        )
        save = upsert(ChatState)
        changed = ("language", "flow", "data", "updated_at", "draft_at")
        self.save = save.on_conflict_do_update(
            index_elements=["channel", "user_id"], set_={name: save.excluded[name] for name in changed}
        )
        claim = upsert(ProcessedUpdate)
        self.claim = claim.on_conflict_do_update(
            index_elements=["channel", "key"],
            set_={"at": claim.excluded.at},
            where=update_row.handled_at.is_(None) & (update_row.at <= bindparam("b_dead")),
        ).returning(update_row.key)
        one = (update_row.channel == bindparam("b_channel")) & (update_row.key == bindparam("b_key"))
        self.handled = select(update_row.handled_at).where(one)
        self.mark = update(ProcessedUpdate).where(one)
        self.forget = delete(ProcessedUpdate).where(one)
