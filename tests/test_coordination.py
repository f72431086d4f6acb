"""What workers share through the real Redis at 127.0.0.1:6379: chat locks, rate limits and
outbox wake-ups; and that a worker carries on when Redis is away."""

import asyncio
import time
import uuid

from redis.asyncio import Redis
from support.databases import REDIS_URL
from support.waiting import wait_until

from bot.coordination import ChatLocks, OutboxSignal, RateLimits
from bot.settings import Settings


async def test_two_workers_handle_one_chat_one_event_at_a_time():
    redis = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)]
    workers = [ChatLocks(r) for r in redis]
    chat, inside, most = f"test:{uuid.uuid4()}", 0, 0

    async def event(locks: ChatLocks) -> None:
        nonlocal inside, most
        async with locks.hold(chat):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(event(workers[i % 2]) for i in range(20)))
    assert most == 1
    for r in redis:
        await r.aclose()


async def test_the_rate_limits_are_shared_by_the_workers():
    """The Bot API's per-chat limit, a burst of five then one a second, in a window of one second
    rather than five."""
    first, second = (RateLimits(REDIS_URL, per_chat="5/second") for _ in range(2))
    chat = str(uuid.uuid4())
    started = time.monotonic()
    for limits in (first, second, first, second, first):
        await limits.wait(chat, group=False)  # a burst of five is allowed
    assert time.monotonic() - started < 0.5
    await second.wait(chat, group=False)  # the sixth waits for the window to move
    assert time.monotonic() - started >= 0.8


def test_the_production_limits_are_telegrams():
    settings = Settings()
    limits = RateLimits(
        None, settings.telegram_limit_chat, settings.telegram_limit_group, settings.telegram_limit_overall
    )
    assert (str(limits.per_chat), str(limits.per_group), str(limits.overall)) == (
        "5 per 5 second",
        "20 per 1 minute",
        "30 per 1 second",
    )
    assert str(RateLimits().per_chat) == "5 per 5 second"


async def test_a_message_queued_on_one_worker_wakes_the_others():
    redis = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)]
    here, there = asyncio.Event(), asyncio.Event()
    sender, listener = OutboxSignal(here, redis[0]), OutboxSignal(there, redis[1])
    stop = asyncio.Event()
    listening = asyncio.create_task(listener.listen(stop))

    async def woken_there() -> bool:  # woken again until the listener has subscribed and hears it
        sender.wake()
        return there.is_set()

    await wait_until(woken_there, timeout=5)
    stop.set()
    await listening
    for r in redis:
        await r.aclose()


async def test_without_redis_a_worker_carries_on_alone():
    away = Redis.from_url("redis://127.0.0.1:9/0")  # nothing listens on port 9
    async with ChatLocks(away).hold("telegram:1"):
        pass
    await RateLimits("redis://127.0.0.1:9/0").wait("1", group=False)
    woken = asyncio.Event()
    signal = OutboxSignal(woken, away)
    signal.wake()
    assert woken.is_set()
    await signal.flush()
    await away.aclose()
