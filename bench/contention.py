"""Two runs of issue 16, each with a pass/fail checker (also run by bench/faults.py --fault sqlite|starve).

    .venv/bin/python bench/contention.py sqlite [--flows 50] [--duration 60]
    .venv/bin/python bench/contention.py starve [--backlog 5000] [--duration 30] [--database-url URL]

sqlite: one `opora run` (web chat only, on a new SQLite file, limits per person off: this is about the
  database, not about abuse) and --flows simulated people, each over and over going through "talk to
  staff" (topic → office → text → skip the phone → send) with a web-chat session of its own, for
  --duration s. A bystander opens the chat (/start, a new session) every 2 s. Checker: no failed turn
  (every answer 200, no "sorry"), p99 of a turn ≤ 1 s, every bystander /start answered in < 1 s.
starve: the outbox's Telegram delivery (Delivery + TelegramSender with the real rate limits, 20 a
  minute per group) against the fake Bot API (tests/fake_telegram.py), with --backlog cards queued for
  one staff group; then, four times a second for --duration s, a message to another chat is queued.
  Checker: each of those is delivered within 2 s of being queued; the group's messages arrive in order,
  no more than 20 in any minute.
The exit status is 1 when the checker fails.
"""

import argparse
import asyncio
import datetime as dt
import os
import random
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from aiohttp import ClientSession, ClientTimeout, CookieJar  # noqa: E402

SORRY = ("Вибачте, у нас щось пішло не так", "Sorry, something went wrong")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


# --- sqlite --------------------------------------------------------------------------------------


class Turns:
    def __init__(self):
        self.times: list[float] = []
        self.failed: list[str] = []


async def turn(http: ClientSession, url: str, body: dict, turns: Turns) -> dict | None:
    started = time.monotonic()
    try:
        async with http.post(f"{url}/api/messages", json=body) as response:
            data = await response.json(content_type=None)
            status = response.status
    except Exception as error:  # a timeout or a refused connection is a failed turn
        turns.failed.append(f"{type(error).__name__} on {body}")
        return None
    turns.times.append(time.monotonic() - started)
    text = " ".join(r.get("text") or "" for r in (data.get("replies") or [])) if isinstance(data, dict) else ""
    if status != 200 or any(s in text for s in SORRY):
        turns.failed.append(f"{status} on {body}: {str(data)[:120]}")
        return None
    return data


def payloads(data: dict) -> list[str]:
    return [b["payload"] for r in data.get("replies", []) for row in r.get("buttons") or [] for b in row]


async def flow(url: str, n: int, until: float, turns: Turns, sent: list[int]) -> None:
    timeout = ClientTimeout(total=60)
    while time.monotonic() < until:
        async with ClientSession(cookie_jar=CookieJar(unsafe=True), timeout=timeout) as http:
            if not await turn(http, url, {"text": "/start", "language": "uk"}, turns):
                continue
            if not await turn(http, url, {"payload": "staff"}, turns):
                continue
            queues = await turn(http, url, {"payload": "staff:queues"}, turns)
            choices = [p for p in payloads(queues or {}) if p.startswith("staff:q:")]
            if not choices or not await turn(http, url, {"payload": random.choice(choices)}, turns):
                continue
            if not await turn(http, url, {"text": f"CONTENTION {n}: мамі потрібні ліки та продукти"}, turns):
                continue
            if not await turn(http, url, {"payload": "staff:phone:skip"}, turns):
                continue
            if await turn(http, url, {"payload": "staff:send"}, turns):
                sent[0] += 1


async def bystander(url: str, until: float, waits: list[float], failed: list[str]) -> None:
    while time.monotonic() < until:
        async with ClientSession(cookie_jar=CookieJar(unsafe=True), timeout=ClientTimeout(total=60)) as http:
            started = time.monotonic()
            try:
                async with http.post(f"{url}/api/messages", json={"text": "/start"}) as response:
                    await response.read()
                    if response.status != 200:
                        failed.append(f"bystander got {response.status}")
            except Exception as error:
                failed.append(f"bystander: {type(error).__name__}")
            waits.append(time.monotonic() - started)
        await asyncio.sleep(2)


async def sqlite_run(args) -> bool:
    work = Path(tempfile.mkdtemp(prefix="opora-contention-"))
    port = free_port()
    env = {
        **os.environ,
        "OPORA_DATABASE_URL": f"sqlite+aiosqlite:///{work}/opora.sqlite3",
        "OPORA_HTTP_PORT": str(port),
        "OPORA_WEB_CHAT": "true",
        "OPORA_LIMIT_TURNS": "",
        "OPORA_LIMIT_REQUESTS": "",
        "OPORA_LIMIT_MESSAGES": "",
    }
    for key in ("OPORA_TELEGRAM_TOKEN", "OPORA_VIBER_TOKEN", "OPORA_REDIS_URL"):
        env.pop(key, None)
    log = open(work / "opora.log", "w")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        stdin=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"{url}/readyz") as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                await asyncio.sleep(0.2)
        print(
            f"SQLite contention: {args.flows} help-request flows for {args.duration:.0f} s, one process "
            f"({work}/opora.log)",
            flush=True,
        )
        turns, sent, waits, failed = Turns(), [0], [], []
        until = time.monotonic() + args.duration
        started = time.monotonic()
        await asyncio.gather(
            bystander(url, until, waits, failed), *(flow(url, n, until, turns, sent) for n in range(args.flows))
        )
        took = time.monotonic() - started
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
        log.close()
    locked = (work / "opora.log").read_text(errors="replace").count("database is locked")
    p99 = pct(turns.times, 0.99)
    print(
        f"turns {len(turns.times)} ({len(turns.times) / took:.0f}/s), failed {len(turns.failed)}; requests sent "
        f"{sent[0]}; turn p50 {pct(turns.times, 0.5) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max "
        f"{max(turns.times, default=0) * 1000:.0f} ms; bystander /start: {len(waits)} tries, max "
        f"{max(waits, default=0) * 1000:.0f} ms; 'database is locked' in the log: {locked}"
    )
    problems = turns.failed[:5] + failed[:5]
    if turns.failed:
        problems.insert(0, f"{len(turns.failed)} turns failed")
    if p99 > 1.0:
        problems.append(f"p99 {p99:.2f} s > 1 s")
    if not waits or max(waits) >= 1.0:
        problems.append(f"a bystander waited {max(waits, default=float('inf')):.2f} s")
    if locked:
        problems.append(f"'database is locked' {locked} times in the log")
    return verdict("sqlite", problems)


# --- starve ------------------------------------------------------------------------------------

GROUP = -100500


async def starve_run(args) -> bool:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from fake_telegram import FakeBotAPI
    from sqlalchemy import text

    from bot.coordination import RateLimits
    from bot.helpdesk.models import OutboxMessage
    from bot.helpdesk.outbox import Delivery
    from bot.storage.engine import make_engine, sessions
    from bot.storage.migrate import create_schema
    from bot.telegram.ratelimit import RateLimited
    from bot.telegram.sender import TelegramSender

    api = FakeBotAPI()
    api_url = await api.start()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='opora-starve-')}/opora.sqlite3"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await create_schema(engine)
    db = sessions(engine)
    now = lambda: dt.datetime.now(dt.UTC)  # noqa: E731
    card = "🆕 Request No. {n}\n" + "Мамі 82 роки, потрібні ліки та продукти. " * 20
    async with db() as session, session.begin():
        session.add_all(
            [
                OutboxMessage(
                    channel="telegram",
                    chat_id=str(GROUP),
                    message={"text": card.format(n=n)},
                    status="pending",
                    attempts=0,
                    next_attempt_at=now(),
                    created_at=now(),
                    to_staff=True,
                    card=True,
                )
                for n in range(args.backlog)
            ]
        )
    bot = Bot("123456:STARVE", session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    limited = RateLimited(RateLimits())
    bot.session.middleware(limited)
    try:
        sender = TelegramSender(bot, limited)
    except TypeError:  # before issue 16 the sender had no limits of its own; the middleware waited
        sender = TelegramSender(bot)
    stop = asyncio.Event()
    delivery = Delivery(db, {"telegram": sender}, now)
    runner = asyncio.create_task(delivery.run(stop))
    print(
        f"outbox starvation: {args.backlog} cards queued for staff group {GROUP}; a message to another chat "
        f"4 times a second for {args.duration:.0f} s ({engine.dialect.name})",
        flush=True,
    )
    queued: dict[int, float] = {}
    started = time.monotonic()
    chat = 10_000
    while time.monotonic() - started < args.duration:
        chat += 1
        async with db() as session, session.begin():
            session.add(
                OutboxMessage(
                    channel="telegram",
                    chat_id=str(chat),
                    message={"text": f"reply to {chat}"},
                    status="pending",
                    attempts=0,
                    next_attempt_at=now(),
                    created_at=now(),
                )
            )
        queued[chat] = time.monotonic()
        delivery.wake()
        await asyncio.sleep(0.25)
    await asyncio.sleep(3)  # the last ones' 2 s
    stop.set()
    delivery.wake()
    try:
        await asyncio.wait_for(runner, 10)
    except TimeoutError:
        print("  (the delivery loop did not stop within 10 s: it was cancelled)")
    await bot.session.close()
    await api.stop()
    await engine.dispose()
    group: list[int] = []
    for _name, params in api.delivered:
        chat_id = int(params["chat_id"])
        if chat_id == GROUP:
            group.append(int(params["text"].split("No. ")[1].split()[0]))
    # the fake API keeps no time: each arrival's time is taken when it is seen, below, from the calls' order
    latencies = list(await _latencies(api, queued))
    late = [lat for lat in latencies if lat > 2.0]
    lost = len(queued) - len(latencies)
    print(
        f"other chats: {len(queued)} queued, {len(latencies)} delivered; queued → delivered p50 "
        f"{pct(latencies, 0.5) * 1000:.0f} ms, p99 {pct(latencies, 0.99) * 1000:.0f} ms, max "
        f"{max(latencies, default=float('nan')) * 1000:.0f} ms; staff group: {len(group)} cards delivered "
        f"in {args.duration:.0f} s"
    )
    problems = []
    if late or lost:
        problems.append(f"{len(late)} messages took more than 2 s, {lost} never arrived")
    if group != sorted(group) or len(set(group)) != len(group):
        problems.append("the group's cards came out of order or twice")
    if len(group) > 20 * (args.duration / 60 + 1):
        problems.append(f"{len(group)} cards to the group: over 20 a minute")
    return verdict("starve", problems)


async def _latencies(api, queued: dict[int, float]) -> list[float]:
    return [api.arrivals[chat] - queued[chat] for chat in queued if chat in api.arrivals]


def verdict(name: str, problems: list[str]) -> bool:
    print(f"verdict {name}: {'FAIL' if problems else 'PASS'}")
    for problem in problems:
        print(f"  ✗ {problem}")
    return not problems


def stamp_arrivals() -> None:
    """The fake Bot API, made to note when each message reached its chat."""
    from fake_telegram import FakeBotAPI

    original = FakeBotAPI.method

    async def method(self, request):
        response = await original(self, request)
        if not hasattr(self, "arrivals"):
            self.arrivals = {}
        if self.delivered and len(self.delivered) > getattr(self, "_seen", 0):
            self._seen = len(self.delivered)
            chat = int(self.delivered[-1][1]["chat_id"])
            self.arrivals.setdefault(chat, time.monotonic())
        return response

    FakeBotAPI.method = method


async def main(args) -> int:
    if args.run == "sqlite":
        return 0 if await sqlite_run(args) else 1
    stamp_arrivals()
    return 0 if await starve_run(args) else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("run", choices=["sqlite", "starve"])
    p.add_argument("--flows", type=int, default=50)
    p.add_argument("--duration", type=float)
    p.add_argument("--backlog", type=int, default=5000)
    p.add_argument("--database-url", help="starve: the database (default: a new SQLite file); its schema is reset")
    return p


if __name__ == "__main__":
    arguments = parser().parse_args()
    arguments.duration = arguments.duration or (60.0 if arguments.run == "sqlite" else 30.0)
    sys.exit(asyncio.run(main(arguments)))
