"""The outbox with several workers: every message once, each chat in order, and a dead
worker's claims taken over after their lease."""

import asyncio
import datetime as dt
import random

from sqlalchemy import select

from bot.helpdesk.models import OutboxMessage
from bot.helpdesk.outbox import LEASE, Delivery, RetryLater


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Chats:
    """Every chat's received messages, with a little network delay per send."""

    def __init__(self):
        self.received: dict[str, list[int]] = {}

    async def send(self, chat_id: str, message: dict, reply_to: str | None) -> str:
        await asyncio.sleep(random.uniform(0, 0.003))
        self.received.setdefault(chat_id, []).append(message["n"])
        return str(message["n"])


async def queue_messages(db, chats: int, each: int) -> None:
    async with db() as session, session.begin():
        for n in range(each):
            for chat in range(chats):
                session.add(
                    OutboxMessage(
                        channel="test",
                        chat_id=str(chat),
                        message={"text": "", "n": n},
                        status="pending",
                        attempts=0,
                        next_attempt_at=now(),
                        created_at=now(),
                    )
                )


async def test_two_workers_deliver_every_message_once_and_in_order(db):
    await queue_messages(db, chats=5, each=20)
    chats = Chats()
    workers = [Delivery(db, {"test": chats}, now) for _ in range(2)]
    while sum(map(len, chats.received.values())) < 100:
        await asyncio.gather(*(w.deliver_due() for w in workers))
    assert all(received == list(range(20)) for received in chats.received.values())
    async with db() as session:
        assert set((await session.scalars(select(OutboxMessage.status))).all()) == {"sent"}


async def test_a_dead_workers_claim_is_taken_over_after_its_lease(db):
    await queue_messages(db, chats=1, each=2)
    async with db() as session, session.begin():
        first = await session.get(OutboxMessage, 1)
        first.status, first.next_attempt_at = "sending", now() + LEASE  # claimed by a worker that then died
    chats = Chats()
    worker = Delivery(db, {"test": chats}, now)
    await worker.recover()
    assert await worker.deliver_due() == 0  # the chat waits for its oldest message: order is kept
    later = Delivery(db, {"test": chats}, lambda: now() + LEASE + dt.timedelta(seconds=1))
    await later.recover()
    await later.deliver_due()
    await later.deliver_due()
    assert chats.received == {"0": [0, 1]}


class RateLimitedGroup(Chats):
    """A staff group Telegram lets have one message every `gap` seconds; others go at once."""

    def __init__(self, gap: float, expected: int):
        super().__init__()
        self.gap, self.last = gap, -1.0
        self.expected, self.all_in = expected, asyncio.Event()

    async def send(self, chat_id: str, message: dict, reply_to: str | None) -> str:
        loop = asyncio.get_running_loop()
        if chat_id == "0" and loop.time() < self.last + self.gap:
            raise RetryLater(self.last + self.gap - loop.time())
        self.last = loop.time() if chat_id == "0" else self.last
        sent = await super().send(chat_id, message, reply_to)
        if sum(map(len, self.received.values())) == self.expected:
            self.all_in.set()
        return sent


async def test_a_chat_waiting_out_its_rate_limit_gets_its_messages_when_due_with_nothing_new_to_wake_the_loop(db):
    await queue_messages(db, chats=3, each=3)
    chats = RateLimitedGroup(gap=0.4, expected=9)
    stop = asyncio.Event()
    running = asyncio.create_task(Delivery(db, {"test": chats}, now).run(stop))
    try:
        await asyncio.wait_for(chats.all_in.wait(), 10)
    finally:
        stop.set()
        await running
    assert chats.received == {"0": [0, 1, 2], "1": [0, 1, 2], "2": [0, 1, 2]}
