"""Waiting for something to happen, never for a while."""

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

POLL = 0.02  # for conditions nothing announces (a database row, an HTTP answer)


async def wait_until(predicate: Callable[[], Any | Awaitable[Any]], timeout: float = 60) -> Any:
    """The first truthy value of `predicate` (which may be async), asked again until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still not true after {timeout} s: {predicate}")
        await asyncio.sleep(POLL)


class Watched:
    """Something that announces each change (a fake API's calls), so that tests wait for what
    they expect without polling."""

    def __init__(self) -> None:
        self.changed = asyncio.Condition()

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 60) -> Any:
        """The first truthy value of `predicate`, asked after each change."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), timeout)
        return predicate()
