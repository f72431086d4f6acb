"""What several workers share through Redis: one event at a time per chat, the Bot API's rate
limits, limits per person (`Limits`), and outbox wake-ups. Without Redis, in-process equivalents
serve a single process; when
Redis goes away, each worker carries on alone (and says so in the log) rather than stop answering."""

import asyncio
import contextlib
import hashlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

from limits import RateLimitItem, parse, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)
LOCK_SECONDS = 30  # longer than any turn; a dead worker's lock expires by itself
WAKE_CHANNEL = "opora:outbox"


class ChatLocks:
    def __init__(self, redis: "Redis[bytes] | None" = None):
        self.redis = redis
        self._local: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """While held, no other event of this chat is handled, here or on another worker."""
        async with self._local.setdefault(key, asyncio.Lock()):
            lock, acquired = None, False
            if self.redis is not None:
                lock = self.redis.lock(f"opora:chat:{key}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS)
                try:
                    acquired = await lock.acquire()
                except RedisError as error:
                    log.warning(
                        "Redis is away (%s): chat events are ordered within this worker only", type(error).__name__
                    )
            try:
                yield
            finally:
                if acquired and lock is not None:
                    # it expired, or Redis went away: either way it is no longer held
                    with contextlib.suppress(LockError, RedisError):
                        await lock.release()


class RateLimits:
    """The Bot API's limits, for every worker together: per chat, per group and overall, each a
    moving window in the `limits` notation ("5/5 seconds"). The defaults are Telegram's: about
    one message a second per chat (a short burst allowed, for an answer of several messages), 20 a
    minute per group, 30 a second overall."""

    def __init__(
        self,
        redis_url: str | None = None,
        per_chat: str = "5/5 seconds",
        per_group: str = "20/minute",
        overall: str = "30/second",
    ):
        self.per_chat, self.per_group, self.overall = parse(per_chat), parse(per_group), parse(overall)
        self.limiter = MovingWindowRateLimiter(_storage(redis_url))

    async def wait(self, chat_id: str, group: bool) -> None:
        """Return when a message to this chat may be sent."""
        try:
            await self._take(self.per_group if group else self.per_chat, chat_id)
            await self._take(self.overall, "all")
        except RedisError as error:
            log.warning("Redis is away (%s): sending without the shared rate limits", type(error).__name__)

    async def try_take(self, chat_id: str, group: bool) -> float:
        """Take a message's place in the limits if there is one now (0.0); otherwise, without
        waiting, the seconds until there may be one. For the outbox, which must not sleep."""
        try:
            for item, key in ((self.per_group if group else self.per_chat, chat_id), (self.overall, "all")):
                if not await self.limiter.hit(item, "opora", key):
                    stats = await self.limiter.get_window_stats(item, "opora", key)
                    return max(0.05, stats.reset_time - time.time())
        except RedisError as error:
            log.warning("Redis is away (%s): sending without the shared rate limits", type(error).__name__)
        return 0.0

    async def _take(self, item: RateLimitItem, key: str) -> None:
        while not await self.limiter.hit(item, "opora", key):
            stats = await self.limiter.get_window_stats(item, "opora", key)
            await asyncio.sleep(max(0.01, stats.reset_time - time.time()))


def _storage(redis_url: str | None) -> RedisStorage | MemoryStorage:
    return (
        RedisStorage(redis_url.replace("redis://", "async+redis://", 1), implementation="redispy")
        if redis_url
        else _SparselyExpired()
    )


class _SparselyExpired(MemoryStorage):
    """limits' own memory storage, but its old entries are dropped every half minute rather than
    after every hit. limits does it after every hit, over every key it holds, with a thread hop per
    key: under load, thousands of hops a second and a fifth of a lone worker's CPU. A window's count
    never depends on it (it is read from the entries' times); it only frees memory."""

    EVERY = 30.0  # seconds

    _next = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:  # the private hook it calls after a hit
        now = time.monotonic()
        if now >= self._next and (not self.timer or self.timer.done()):
            self._next = now + self.EVERY
            self.timer = asyncio.create_task(self._MemoryStorage__expire_events())  # type: ignore[attr-defined]


class Limits:
    """Limits per person (or per anything with a key), by name, each one or more moving windows
    in the `limits` notation ("30/minute;600/hour"), shared by the workers through Redis. The
    conversation core uses "turns", "requests" (help requests) and "messages" (to staff); the web
    layer may add its own (per address, per session) with `allow(name, key)`.

    Keys are stored hashed, so the store holds no chat id; a window's record expires with it. An
    unknown name allows everything; so does Redis being away (logged), rather than answering nobody."""

    def __init__(self, limits: dict[str, str] | None = None, redis_url: str | None = None):
        self.items = {
            name: sorted(parse_many(spec), key=lambda item: item.get_expiry())
            for name, spec in (limits or {}).items()
            if spec
        }
        self.limiter = MovingWindowRateLimiter(_storage(redis_url))

    async def allow(self, name: str, key: str) -> bool:
        """Count one more for `key`; False when one of the windows is full. One round trip per
        window, shortest first, each counting only when it has room: a turn refused is never
        counted in the window that refused it, nor in a longer one (it may be in a shorter one,
        which a person over a longer limit waits out anyway)."""
        return await self._every_window(name, key, self.limiter.hit)

    async def open(self, name: str, key: str) -> bool:
        """Whether `key` may go on, counting nothing: for limits that count failures only (wrong
        /join codes, wrong staff tokens), with `count` after each failure."""
        return await self._every_window(name, key, self.limiter.test)

    async def _every_window(
        self, name: str, key: str, step: Callable[[RateLimitItem, str, str, str], Awaitable[bool]]
    ) -> bool:
        hashed = self._hashed(name, key)
        try:
            for item in self.items.get(name, ()):
                if not await step(item, "opora-limit", name, hashed):
                    return False
        except RedisError as error:
            log.warning("Redis is away (%s): limits per person are not applied", type(error).__name__)
        return True

    async def count(self, name: str, key: str) -> None:
        hashed = self._hashed(name, key)
        try:
            for item in self.items.get(name, ()):
                await self.limiter.hit(item, "opora-limit", name, hashed)
        except RedisError as error:
            log.warning("Redis is away (%s): limits per person are not applied", type(error).__name__)

    @staticmethod
    def _hashed(name: str, key: str) -> str:
        return hashlib.sha256(f"{name}:{key}".encode()).hexdigest()[:32]


class OutboxSignal:
    """Wakes every worker's delivery loop when a message is queued on any of them."""

    def __init__(self, woken: asyncio.Event, redis: "Redis[bytes] | None" = None):
        self.woken = woken
        self.redis = redis
        self._pending: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        self.woken.set()
        if self.redis is not None:
            task = asyncio.ensure_future(self._publish())
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def flush(self) -> None:
        """Wait until the other workers have been told (before a short-lived command exits)."""
        await asyncio.gather(*self._pending, return_exceptions=True)

    async def _publish(self) -> None:
        with contextlib.suppress(RedisError):  # the others look at the outbox on their own every few seconds
            if self.redis is not None:
                await self.redis.publish(WAKE_CHANNEL, b"1")

    async def listen(self, stop: asyncio.Event, retry: float = 5.0) -> None:
        while self.redis is not None and not stop.is_set():
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(WAKE_CHANNEL)
                    while not stop.is_set():
                        if await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0):
                            self.woken.set()
            except RedisError:
                await _sleep_unless(stop, retry)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
