"""Time per conversation turn in-process (core + SQLite state + answer engine), no channel.

    .venv/bin/python bench/conversation_latency.py [--turns 2000]

Each simulated person starts, browses to a card, asks a free-text question, shares a location
and runs the screener; the script prints p50/p99 per kind of turn and turns per second."""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_app, build_conversation, build_engine, ensure_catalog
from bot.core.events import Event, User
from bot.settings import Settings

SCRIPT = [
    ("command", {"text": "/start"}),
    ("button", {"payload": "browse"}),
    ("button", {"payload": "cat:meals"}),
    ("button", {"payload": "town:meals:kazanlak"}),
    ("card", {"payload": "svc:kazanlak-home-patronage"}),
    ("question", {"text": "Мамі 82 роки, вона лежача, чи можна оформити догляд вдома в Казанлику?"}),
    ("question", {"text": "psykholohichna dopomoha dnipro"}),
    ("location", {"location": (42.62, 25.39)}),
    ("button", {"payload": "scr"}),
    ("button", {"payload": "scr:who:relative"}),
    ("text", {"text": "82"}),
    ("button", {"payload": "scr:s:alone"}),
    ("button", {"payload": "scr:done"}),
    ("screener", {"payload": "scr:at:kazanlak"}),
]


async def main(turns: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = await build_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"))
        await ensure_catalog(app)
        conversation = build_conversation(app, await build_engine(app))
        timings = defaultdict(list)
        started = time.perf_counter()
        for n in range(turns // len(SCRIPT) + 1):
            user = User("bench", str(n), None, "uk")
            for kind, content in SCRIPT:
                t = time.perf_counter()
                await conversation.handle(Event(user, **content))
                timings[kind].append((time.perf_counter() - t) * 1000)
        elapsed = time.perf_counter() - started
        await app.close()
    total = sum(len(v) for v in timings.values())
    for kind, values in sorted(timings.items()):
        values.sort()
        print(
            f"{kind:9} n={len(values):5}  p50 {statistics.median(values):6.1f} ms  "
            f"p99 {values[int(len(values) * 0.99) - 1]:6.1f} ms"
        )
    print(f"all      {total} turns in {elapsed:.1f} s: {total / elapsed:.0f} turns/s (one process, one at a time)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=1400)
    asyncio.run(main(parser.parse_args().turns))
