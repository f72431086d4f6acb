"""Delivering the outbox: in order per chat, with retries, never twice.

A row is claimed (pending → sending, with a conditional UPDATE, so one worker of many wins) in
its own transaction before it is sent, and marked sent right after. A claim is a lease: its
`next_attempt_at` becomes the lease's end. Rows still `sending` after their lease (their worker
died mid-send) go back to pending, on any worker: a message may then show twice, but none is
lost. A chat whose oldest row is being sent waits, so every chat keeps its order.

Each round looks at the oldest row of every chat (not at the oldest rows overall, which one
chat's backlog can fill), and a chat that must wait (a rate limit, a retry) is skipped until its
`next_attempt_at`, so a staff group waiting out its 20 a minute holds up no other chat: senders
raise RetryLater rather than sleep."""

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, ScalarSelect, Update, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.helpdesk.models import HelpRequest, OutboxMessage, StaffMessage, aware
from bot.helpdesk.ports import DeliveryObserver, Unobserved

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 25  # with backoff capped at 10 minutes, about three hours of trying
MAX_BACKOFF = 600.0
BATCH = 200  # chats per round
CHATS_AT_ONCE = 8  # well within the database pool (5 + 10 overflow) that answers share
IDLE_WAKE = 30.0  # look again at least this often, for retries that fall due
MIN_PASS_GAP = 0.25  # seconds from one pass that sent nothing to the next: a new message waits this long at most
LEASE = dt.timedelta(seconds=120)  # far longer than a send takes, even with client timeouts


class RetryLater(Exception):
    """The channel asked to wait (Telegram 429 retry_after)."""

    def __init__(self, seconds: float):
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Unreachable(Exception):
    """The person blocked the bot or the chat is gone: retrying will not help."""


class Sender(Protocol):
    async def send(self, chat_id: str, message: dict[str, Any], reply_to: str | None) -> str:
        """Deliver one message; return the channel's id of the (last) message sent."""


class Delivery:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        senders: dict[str, Sender],
        now: Callable[[], dt.datetime],
        woken: asyncio.Event | None = None,
        observer: DeliveryObserver | None = None,
        retry_seconds: float = 1.0,
    ):
        self.sessions = sessions
        self.observer = observer or Unobserved()
        self.senders = senders
        self.now = now
        self.retry_seconds = retry_seconds  # the wait after a failure, doubled after each
        self.woken = woken or asyncio.Event()  # set by the help desk when it queues a message
        self._soonest: dt.datetime | None = None  # when the next head that had to wait falls due, as of the last pass

    def wake(self) -> None:
        self.woken.set()

    def _backoff(self, attempts: int) -> float:
        return min(MAX_BACKOFF, self.retry_seconds * 2.0**attempts)

    async def recover(self) -> int:
        """Rows whose claim expired (their worker died mid-send) are sent again."""
        async with self.sessions() as session, session.begin():
            result = await _changed(
                session,
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at < self.now())
                .values(status="pending"),
            )
        return result

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            began = loop.time()
            self.woken.clear()
            try:
                await self.recover()
                sent = await self.deliver_due()
            except Exception:  # the database may be away for a while; keep trying
                log.exception("outbox delivery failed")
                sent = 0
            if sent:
                continue
            waiter = asyncio.ensure_future(self.woken.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=self._idle_time(), return_when=asyncio.FIRST_COMPLETED)
            # A pass reads every chat's oldest undelivered message. Woken by each new one in a flood
            # of help requests, while their staff groups wait out Telegram's 20 a minute, passes would
            # follow each other as fast as the database answers, and slow every answer down.
            await asyncio.wait({stopper}, timeout=max(0.0, began + MIN_PASS_GAP - loop.time()))
            waiter.cancel()
            stopper.cancel()

    def _heads(self) -> ScalarSelect[int | None]:
        """The oldest undelivered row of every chat: the only one of the chat that may go next."""
        return (
            select(func.min(OutboxMessage.id))
            .where(OutboxMessage.status.in_(("pending", "sending")), OutboxMessage.channel.in_(list(self.senders)))
            .group_by(OutboxMessage.channel, OutboxMessage.chat_id)
            .scalar_subquery()
        )

    def _idle_time(self) -> float:
        """Until the soonest head falls due (a retry, a rate limit, a lease), at most IDLE_WAKE: the
        rows behind a head that is put off are not due, whatever their own time says."""
        if self._soonest is None:
            return IDLE_WAKE
        return min(IDLE_WAKE, max(0.05, (self._soonest - self.now()).total_seconds()))

    async def deliver_due(self) -> int:
        """Send what is due: the oldest pending message of each chat, unless that one must wait.
        The heads are read once a pass, with when each falls due: finding them reads every
        undelivered row, thousands while staff groups wait out Telegram's 20 a minute."""
        now = self.now()
        async with self.sessions() as session:
            found = (
                await session.execute(
                    select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.next_attempt_at).where(
                        OutboxMessage.id.in_(self._heads())
                    )
                )
            ).all()
            due = sorted(h.id for h in found if h.status == "pending" and aware(h.next_attempt_at) <= now)[:BATCH]
            chosen = set(due)
            self._soonest = min((aware(h.next_attempt_at) for h in found if h.id not in chosen), default=None)
            heads = (
                list(
                    (
                        await session.scalars(
                            select(OutboxMessage).where(OutboxMessage.id.in_(due)).order_by(OutboxMessage.id)
                        )
                    ).all()
                )
                if due
                else []
            )
        # Chats at once, so that one waiting out its rate limit (a staff group's 20 a minute) holds up
        # no other; each chat still gets one message at a time, in order.
        at_once = asyncio.Semaphore(CHATS_AT_ONCE)

        async def deliver(row: OutboxMessage) -> int:
            async with at_once:
                return await self._deliver(row)

        results = await asyncio.gather(*(deliver(row) for row in heads), return_exceptions=True)
        sent = 0
        for result in results:
            if isinstance(result, BaseException):
                raise result
            sent += result
        return sent

    async def _deliver(self, row: OutboxMessage) -> int:
        async with self.sessions() as session, session.begin():
            claimed = await _changed(
                session,
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.status == "pending")
                .values(status="sending", next_attempt_at=self.now() + LEASE),
            )
            if claimed != 1:
                return 0  # another worker has it
            reply_to = None
            if row.to_staff and not row.card and row.request_id:
                reply_to = await session.scalar(
                    select(StaffMessage.message_id)
                    .where(
                        StaffMessage.channel == row.channel,
                        StaffMessage.chat_id == row.chat_id,
                        StaffMessage.request_id == row.request_id,
                        StaffMessage.is_card.is_(True),
                    )
                    .limit(1)
                )
        values: dict[str, Any] = {"attempts": row.attempts + 1}
        try:
            if not row.message:
                raise Unreachable("erased before it was sent")
            message_id = await self.senders[row.channel].send(row.chat_id, row.message, reply_to)
        except RetryLater as wait:
            values |= {
                "status": "pending",
                "last_error": str(wait),
                "next_attempt_at": self.now() + dt.timedelta(seconds=wait.seconds),
                "attempts": row.attempts,
            }
        except Unreachable as error:
            values |= {"status": "unreachable", "last_error": str(error)[:500]}
        except Exception as error:
            log.warning("outbox %s: %s: %s", row.id, type(error).__name__, error)
            failed = row.attempts + 1 >= MAX_ATTEMPTS
            values |= {
                "status": "failed" if failed else "pending",
                "last_error": f"{type(error).__name__}: {error}"[:500],
                "next_attempt_at": self.now() + dt.timedelta(seconds=self._backoff(row.attempts)),
            }
        else:
            values |= {"status": "sent", "sent_message_id": message_id, "sent_at": self.now(), "last_error": None}
        outcome = "retry" if values["status"] == "pending" else values["status"]
        # The loop looks again when this head falls due, or at once for the chat's next message.
        again = values["next_attempt_at"] if outcome == "retry" else self.now()
        self._soonest = again if self._soonest is None else min(self._soonest, again)
        self.observer.delivered(row.channel, outcome)
        async with self.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
            if values["status"] == "sent" and row.to_staff and row.request_id:
                session.add(
                    StaffMessage(
                        channel=row.channel,
                        chat_id=row.chat_id,
                        message_id=values["sent_message_id"],
                        request_id=row.request_id,
                        is_card=row.card,
                    )
                )
            if values["status"] == "unreachable" and row.request_id and not row.to_staff:
                await session.execute(
                    update(HelpRequest).where(HelpRequest.id == row.request_id).values(citizen_unreachable=True)
                )
        return 1 if values["status"] == "sent" else 0


async def _changed(session: AsyncSession, statement: Update) -> int:
    """Run an UPDATE; how many rows it changed."""
    result = cast("CursorResult[Any]", await session.execute(statement))
    return result.rowcount
