"""What the core needs from the infrastructure, as small protocols: a lock per chat, limits per
person and metrics. The composition root (bot/app.py) passes the implementations shared by the
workers (locks and limits in Redis, Prometheus metrics); the in-process ones here are the
defaults, for one worker and for tests."""

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


class Locks(Protocol):
    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """While held, no other event of the chat `key` is handled."""
        ...


class Limits(Protocol):
    """Limits per person by name: "turns", "requests", "messages", "join failures", …"""

    async def allow(self, name: str, key: str) -> bool:
        """Count one more for `key`; False when over the limit (then nothing is counted)."""
        ...

    async def open(self, name: str, key: str) -> bool:
        """Whether `key` may go on, counting nothing (for limits that count failures only)."""
        ...

    async def count(self, name: str, key: str) -> None: ...


class Count(Protocol):
    def inc(self) -> None: ...


class Observation(Protocol):
    def observe(self, amount: float) -> None: ...


class Counter(Protocol):
    def labels(self, *values: str) -> Count: ...


class Histogram(Protocol):
    def labels(self, *values: str) -> Observation: ...


class Metrics(Protocol):
    """The counters a turn updates (labels in brackets)."""

    @property
    def updates(self) -> Counter: ...  # events handled [channel, kind]

    @property
    def answers(self) -> Counter: ...  # questions answered [intent]

    @property
    def turn_seconds(self) -> Histogram: ...  # time to answer an event [kind]

    @property
    def errors(self) -> Counter: ...  # events that could not be handled [channel]

    @property
    def limited(self) -> Counter: ...  # events refused by a limit [channel, limit]


class LocalLocks:
    """Locks within this process only: enough for one worker."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self._locks.setdefault(key, asyncio.Lock()):
            yield


class NoLimits:
    """Everything is allowed."""

    async def allow(self, name: str, key: str) -> bool:
        return True

    async def open(self, name: str, key: str) -> bool:
        return True

    async def count(self, name: str, key: str) -> None:
        return None


class _Uncounted:
    def labels(self, *values: str) -> "_Uncounted":
        return self

    def inc(self) -> None:
        return None

    def observe(self, amount: float) -> None:
        return None


class NoMetrics:
    """Nothing is counted."""

    updates = answers = turn_seconds = errors = limited = _Uncounted()
