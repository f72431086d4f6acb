"""What workers share through the real Redis at 127.0.0.1:6379: chat locks, rate limits and
outbox wake-ups; and that a worker carries on when Redis is away."""

import asyncio
import time
import uuid

from redis.asyncio import Redis

from bot.coordination import ChatLocks, OutboxSignal, RateLimits

REDIS_URL = "redis://127.0.0.1:6379/0"


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
    first, second = RateLimits(REDIS_URL), RateLimits(REDIS_URL)
    chat = str(uuid.uuid4())
    started = time.monotonic()
    for limits in (first, second, first, second, first):
        await limits.wait(chat, group=False)  # a burst of five is allowed
    assert time.monotonic() - started < 1
    await second.wait(chat, group=False)  # the sixth waits for the window to move
    assert time.monotonic() - started >= 4


async def test_a_message_queued_on_one_worker_wakes_the_others():
    redis = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)]
    here, there = asyncio.Event(), asyncio.Event()
    sender, listener = OutboxSignal(here, redis[0]), OutboxSignal(there, redis[1])
    stop = asyncio.Event()
    listening = asyncio.create_task(listener.listen(stop))
    await asyncio.sleep(0.3)  # subscribed
    sender.wake()
    await asyncio.wait_for(there.wait(), 5)
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
    OutboxSignal(woken, away).wake()
    assert woken.is_set()
    await asyncio.sleep(0.1)
    await away.aclose()
