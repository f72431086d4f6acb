"""The outbox with several workers: every message once, each chat in order, and a dead
worker's claims taken over after their lease."""

import asyncio
import datetime as dt
import random

from sqlalchemy import select

from bot.helpdesk.models import OutboxMessage
from bot.helpdesk.outbox import LEASE, Delivery


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
