"""Worker CPU per call of the state store's statements of every update (bot/core/state.py):
claiming an update, reading and saving a person's state, marking the update handled; and of the
read at each message typed by a person who has sent a help request (whether staff answered it,
bot/helpdesk/desk.py).

    .venv/bin/python bench/state_store.py [--url sqlite+aiosqlite:////tmp/opora-state.sqlite3] [--calls 2000]

The database is brought to the newest schema first (PostgreSQL: give the URL of a database that
may be changed, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/opora_load)."""

import argparse
import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.events import User  # noqa: E402
from bot.core.state import State, StateStore  # noqa: E402
from bot.helpdesk.desk import HelpDesk  # noqa: E402
from bot.storage.engine import make_engine, sessions  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    engine = make_engine(args.url)
    await upgrade(engine)
    states, user, minute = StateStore(sessions(engine)), User("telegram", "bench", "uk"), dt.timedelta(minutes=1)
    desk, since = HelpDesk(sessions(engine), lambda: dt.datetime.now(dt.UTC)), dt.datetime.now(dt.UTC) - 3 * minute
    run = f"{time.time():.0f}"
    calls = {
        "claim": lambda i: states.claim_update("telegram", f"{run}-{i}", minute),
        "load": lambda i: states.load(user),
        "save": lambda i: states.save(user, State("uk", None, {"place": "kazanlak", "n": i})),
        "mark": lambda i: states.handled_update("telegram", f"{run}-{i}"),
        "answered since": lambda i: desk.answered_since("telegram", "bench", since),
    }
    for name, call in calls.items():
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(args.calls):
            await call(i)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{name}: {cpu / args.calls * 1e6:.0f} µs of CPU, {wall / args.calls * 1e6:.0f} µs in all, per call")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite+aiosqlite:////tmp/opora-state.sqlite3")
    parser.add_argument("--calls", type=int, default=2000)
    asyncio.run(main(parser.parse_args()))
