"""Load over loopback: Telegram updates, as webhook POSTs, to real `opora run` workers.

    .venv/bin/python bench/load.py [--workers 2 | --sqlite] [--users 1000] [--duration 60]
                                   [--think 0] [--connections 40] [--timeout 60] [--overall-limit N]
                                   [--baseline 30] [--cprofile]

--workers N: N workers on PostgreSQL (database opora_load, its public schema reset) and Redis (db 3,
flushed); --sqlite: one worker on a temporary SQLite file, no Redis. Each runs `opora run` in Telegram
webhook mode against a fake Bot API (this script with --fake-api, in a process of its own); updates go
to the workers in turn, as from a load balancer, at most --connections at once, as Telegram sends them
(setWebhook's max_connections); every queue gets a staff group, so help requests go through the outbox.
--overall-limit replaces Opora's 30 messages/s to all chats (OPORA_TELEGRAM_LIMIT_OVERALL) in the workers.

Each person sends /start, then sessions until --duration is over (one without it): questions from
tests/data/questions.yaml in uk or bg (60 %), browsing with the buttons the bot sent (25 %), or a help
request to staff (15 %); the next update goes when the previous one was answered (webhook response and
first message), after --think s on average. A failed webhook request is made again (8 tries over
91 s, as Telegram does); with no message --timeout s after sending (and 5 s after the last try), a person gives up.

Then, for --baseline s (30; 0: none), the same people talk to a minimal aiogram webhook bot in as many
processes (one state row read and written, one sendMessage with a button of each kind they press, per
update), on the same fake Bot API and database: Opora's updates/s as a share of its, and CPU per update
against its. Ratios taken in one run hold on a shared machine; absolute figures do not.

Printed: updates/s (per 10 s, and per 30 s), the longest time without an answer and the slowest second
while the load lasts (a stall), the workers' CPU per update (per 30 s while the load lasts), the
baseline's figures and the ratios, messages/s, messages per update by what the person sent, the five slowest
updates, update -> first message to that chat (p50/p95/p99), errors, the mean
opora_turn_seconds from the workers' /metrics, outbox rows by status, each process's CPU time, the
workers' warnings and errors, and their exit codes after SIGTERM.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import ClientConnectorError, ClientError, ClientSession, ClientTimeout, TCPConnector, web  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402

from bot.core.i18n import Translator  # noqa: E402

TOKEN = "123456:LOAD-token"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/opora_load"
REDIS_URL = "redis://127.0.0.1:6379/3"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TRIES = 8  # deliveries of an update whose webhook request failed; Telegram keeps trying for longer
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
NEED = {
    "uk": "Мамі 82 роки, живе сама, потрібні ліки та продукти",
    "bg": "Баба ми е на 85, живее сама, трябват ѝ лекарства",
}


def fake_api() -> None:
    """Answers every method at once; prints `chat, time, button payloads, method, text as JSON` for each
    message sent. POST /control/fail {"seconds": s, "code": 429 or 5xx, "retry_after": r} makes every send*
    method fail with that code for s seconds (a failed attempt is not printed)."""
    ids, failing = itertools.count(1000), {"until": 0.0, "code": 0, "retry_after": 0}

    async def control(request: web.Request) -> web.Response:
        order = await request.json()
        failing.update(
            until=time.monotonic() + order["seconds"], code=order["code"], retry_after=order.get("retry_after", 5)
        )
        return web.json_response({"ok": True})

    async def method(request: web.Request) -> web.Response:
        name, form = request.match_info["method"], await request.post()
        result = {"id": 42, "is_bot": True, "first_name": "Opora", "username": "opora_bot"} if name == "getMe" else True
        if name.startswith("send") and time.monotonic() < failing["until"]:
            code = failing["code"]
            return web.json_response(
                {"ok": False, "error_code": code, "description": f"failing on purpose: {code}"}
                | ({"parameters": {"retry_after": failing["retry_after"]}} if code == 429 else {}),
                status=code,
            )
        if name.startswith("send") or name == "editMessageText":
            rows = json.loads(form.get("reply_markup") or "{}").get("inline_keyboard", [])
            buttons = " ".join(b.get("callback_data", "") for row in rows for b in row)
            text = json.dumps(form.get("text") or form.get("title") or "", ensure_ascii=False)
            print(f"{form['chat_id']}\t{time.monotonic()}\t{buttons}\t{name}\t{text}", flush=True)
            result = {"message_id": next(ids), "date": 0, "chat": {"id": int(form["chat_id"]), "type": "private"}}
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    app.router.add_post("/control/fail", control)
    sock = socket.create_server(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None)


# Every kind of button a person of this script looks for: the baseline offers one of each.
BASELINE_BUTTONS = [
    "browse",
    "menu",
    "cat:x",
    "town:x",
    "svc:x",
    "staff:topic:x",
    "staff:q:x",
    "staff:send",
]


def baseline_bot(port: int) -> None:
    """The yardstick: a minimal aiogram webhook bot on the same fake Bot API and database. Each update
    reads and writes one state row, in one transaction, and sends one message (with a button of each
    kind the people here press, so that they send it the same mix of updates they send Opora)."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    url = os.environ["OPORA_DATABASE_URL"]
    engine = create_async_engine(url)
    postgres = url.startswith("postgresql")
    upsert = text(
        "INSERT INTO bench_baseline_state (chat, turns) VALUES (:chat, :turns) "
        "ON CONFLICT (chat) DO UPDATE SET turns = excluded.turns"
    )
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(os.environ["OPORA_TELEGRAM_API_URL"])))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=b, callback_data=b)] for b in BASELINE_BUTTONS]
    )
    dispatcher = Dispatcher()

    async def answer(chat: int) -> None:
        async with engine.begin() as conn:
            turns = await conn.scalar(
                text("SELECT turns FROM bench_baseline_state WHERE chat = :chat" + (" FOR UPDATE" if postgres else "")),
                {"chat": chat},
            )
            await conn.execute(upsert, {"chat": chat, "turns": (turns or 0) + 1})
        await bot.send_message(chat, f"turn {(turns or 0) + 1}", reply_markup=markup)

    @dispatcher.message()
    async def message(message: Message) -> None:
        await answer(message.chat.id)

    @dispatcher.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await answer(query.from_user.id)

    async def receive(request: web.Request) -> web.Response:
        update = Update.model_validate(json.loads(await request.read()), context={"bot": bot})
        await dispatcher.feed_update(bot, update)
        return web.json_response({})

    async def ready(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/telegram", receive)
    app.router.add_get("/readyz", ready)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


class Missing(Exception):
    """The bot did not offer the button a person looks for."""


class GaveUp(Exception):
    """No message came."""


class Person:
    def __init__(self, run: "Run", uid: int, lang: str):
        self.run, self.lang, self.chat = run, lang, {"id": uid, "type": "private"}
        self.sender = {"id": uid, "is_bot": False, "first_name": "Olena", "language_code": lang}
        self.keyboards: list[list[str]] = []  # payloads of the latest messages with buttons, newest last
        self.t0, self.first = 0.0, None

    def received(self, t: float, payloads: list[str]) -> None:
        if payloads:
            self.keyboards = self.keyboards[-9:] + [payloads]
        if self.first and not self.first.done() and t >= self.t0:
            self.first.set_result(t)

    async def says(self, text: str) -> None:
        await self.send(
            {
                "message": {
                    "message_id": next(self.run.ids),
                    "date": int(time.time()),
                    "text": text,
                    "chat": self.chat,
                    "from": self.sender,
                }
            }
        )

    async def tap(self, *prefixes: str) -> str:
        """Press a button of the latest message that has one: the payload `x`, or any `x:…`."""
        for _ in range(20):  # its message may still be in the fake API's pipe
            for payloads, prefix in itertools.product(reversed(self.keyboards), prefixes):
                if found := [p for p in payloads if p == prefix or prefix.endswith(":") and p.startswith(prefix)]:
                    data = random.choice(found)
                    await self.send(
                        {
                            "callback_query": {
                                "id": str(next(self.run.ids)),
                                "from": self.sender,
                                "chat_instance": "1",
                                "data": data,
                                "message": {"message_id": 1, "date": 0, "chat": self.chat},
                            }
                        }
                    )
                    return data
            await asyncio.sleep(0.05)
        raise Missing(prefixes[0])

    async def send(self, update: dict) -> None:
        run = self.run
        self.t0, self.first = time.monotonic(), asyncio.get_running_loop().create_future()
        body = {"update_id": next(run.ids), **update}
        outcome = run.outcomes[body["update_id"]] = {
            "chat": str(self.chat["id"]),
            "t0": self.t0,
            "status": None,
            "attempts": 0,
            "first": None,
            "what": update.get("callback_query", {}).get("data"),
        }
        for attempt in range(1, TRIES + 1):  # as Telegram, which delivers an update again when the webhook failed
            url = run.url()
            try:
                async with (
                    run.connections,
                    run.http.post(url, json=body, headers={SECRET_HEADER: run.secret}) as response,
                ):
                    await response.read()
                outcome.update(status=response.status, attempts=attempt)
                if response.status < 500:
                    run.errors.update([f"HTTP {response.status}"] if response.status != 200 else [])
                    break
                run.errors[f"HTTP {response.status} (try {attempt})"] += 1
            except (TimeoutError, ClientError) as error:
                run.errors[f"webhook {type(error).__name__} (try {attempt})"] += 1
                outcome.update(status=None, attempts=attempt)
                if isinstance(error, ClientConnectorError):  # connection refused: at once to the next worker,
                    run.failures.append(time.monotonic())  # and none to this one for a second
                    run.down[url] = time.monotonic() + 1
                    continue
            run.failures.append(time.monotonic())
            await asyncio.sleep(min(2 ** (attempt - 1), 30))  # 1, 2, 4 … 30 s: 91 s over 8 tries
        try:  # aiogram answers the webhook after 55 s even when the handler goes on
            first = await asyncio.wait_for(self.first, max(5.0, self.t0 + run.timeout - time.monotonic()))
        except TimeoutError:
            run.errors["no message: gave up"] += 1
            raise GaveUp from None
        outcome["first"] = first
        run.latencies.append(first - self.t0)
        run.done.append(time.monotonic())
        if run.think:
            await asyncio.sleep(random.expovariate(1 / run.think))

    async def session(self) -> None:
        r, ask = random.random(), lambda: self.says(random.choice(self.run.questions[self.lang]))
        try:
            if r < 0.60:
                for _ in range(random.randint(1, 3)):
                    await ask()
            elif r < 0.85:
                if await self.tap("browse", "menu") == "menu":  # no "Find a service" on screen: the menu has it
                    await self.tap("browse")
                for step in ("cat:", "town:", "svc:", "menu"):
                    await self.tap(step)
            else:
                await ask()
                if await self.tap("staff:topic:", "staff") == "staff":  # a card's button, else the menu's
                    await self.tap("staff:topic:")
                await self.tap("staff:q:")
                await self.says(NEED[self.lang])
                await self.says(Translator(self.lang)("Skip ➡"))  # a button of the reply keyboard sends its label
                await self.tap("staff:send")
                self.run.requests += 1
        except Missing as missing:
            self.run.errors[f"no button {missing}"] += 1


class Run:
    def __init__(self, args, ports: list[int], secret: str, http: ClientSession):
        self.think, self.timeout, self.secret, self.http = args.think, args.timeout, secret, http
        self.connections = asyncio.Semaphore(args.connections) if args.connections else contextlib.nullcontext()
        self.urls = itertools.cycle([f"http://127.0.0.1:{p}/telegram" for p in ports])
        self.down: dict[str, float] = {}  # a worker that refused a connection, until when it is left out
        self.ids, self.requests, self.cards = itertools.count(1), 0, 0
        self.errors, self.latencies, self.done, self.messages = Counter(), [], [], []
        self.log: list[tuple[str, float, list[str], str, str]] = []  # chat, time, payloads, method, text
        self.outcomes: dict[int, dict] = {}  # update_id: chat, t0, last HTTP status, attempts, first message
        self.failures: list[float] = []  # when a webhook request failed
        self.people: dict[str, Person] = {}
        self.samples: list[tuple[float, int, float]] = []  # while the load lasts: when, answered, workers' CPU s
        questions = YAML(typ="safe").load((ROOT / "tests/data/questions.yaml").read_text())["questions"]
        self.questions = {lang: [q["q"] for q in questions if q["lang"] == lang] for lang in ("uk", "bg")}

    def url(self) -> str:
        """The next worker in turn, as a load balancer: one that refused a connection just now is left out."""
        for _ in range(len(self.down) + 1):
            url = next(self.urls)
            if self.down.get(url, 0.0) < time.monotonic():
                break
        return url

    async def people_talk(self, users: int, duration: float | None, carry_on: bool = False) -> None:
        """Each person sends /start, then sessions until `duration` is over (one without it)."""
        started = time.monotonic()

        async def person(i: int) -> None:
            p = self.people[str(10_000_000 + i)] = Person(self, 10_000_000 + i, "uk" if i % 2 else "bg")
            # Not all in one instant: with --think, people arrive as they go on, one every think/users
            # seconds on average, so that a run at a steady load does not begin with a burst of all of them.
            await asyncio.sleep(random.expovariate(1 / self.think) if self.think else random.uniform(0, 2.5))
            with contextlib.suppress(GaveUp):
                while True:
                    try:
                        await p.says("/start")
                        await p.session()
                        while time.monotonic() < started + (duration or 0):
                            await p.session()
                        return
                    except GaveUp:  # gone, unless told to begin again (faults.py) while the load lasts
                        if not carry_on or time.monotonic() >= started + (duration or 0):
                            raise

        await asyncio.gather(*(person(i) for i in range(users)))


async def read(api: asyncio.subprocess.Process, runs: list[Run]) -> None:
    """What the fake API printed, to the latest run."""
    while line := await api.stdout.readline():
        run = runs[-1]
        chat, t, payloads, method, text = line.decode().rstrip("\n").split("\t")
        run.messages.append(float(t))
        run.log.append((chat, float(t), payloads.split(), method, json.loads(text)))
        if person := run.people.get(chat):
            person.received(float(t), payloads.split())
        run.cards += chat.startswith("-")


def messages_by_kind(run: Run) -> str:
    """Messages to a person's chat from one update until their next, by the update's kind: the
    button's payload up to its last ":" part, or "text"; the kinds of more than one message first."""
    updates: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for outcome in run.outcomes.values():
        what = outcome["what"]
        updates[outcome["chat"]].append((outcome["t0"], what.rsplit(":", 1)[0] if what else "text"))
    sent: dict[str, list[float]] = defaultdict(list)
    for chat, t, *_rest in run.log:
        sent[chat].append(t)
    counts: Counter = Counter()
    kinds: Counter = Counter()
    for chat, chat_updates in updates.items():
        chat_updates.sort()
        times = sent.get(chat, [])
        for (t0, kind), (t1, _next) in zip(chat_updates, [*chat_updates[1:], (float("inf"), "")]):
            kinds[kind] += 1
            counts[kind] += sum(t0 <= t < t1 for t in times)
    ranked = sorted(kinds, key=lambda k: (-(counts[k] / kinds[k]), -kinds[k]))
    return ", ".join(f"{k or '(none)'} {counts[k] / kinds[k]:.2f} x{kinds[k]}" for k in ranked)


def cpu_seconds(pid: int | None = None) -> float:
    """A process's CPU time (user + system); without a pid, the machine's busy time."""
    if pid is None:
        fields = [int(v) for v in Path("/proc/stat").read_text().split()[1:9]]
        return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes() -> dict[int, tuple[str, float]]:
    """Every process: (what it is, CPU seconds so far)."""
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, IndexError):
            cmd = (proc / "cmdline").read_text().replace("\0", " ").strip()
            kind = (
                "PostgreSQL + Redis"
                if cmd.startswith("redis-server")
                or cmd.startswith("postgres")
                and (" opora_load " in cmd or "(" not in cmd)
                else cmd[:50] or "kernel threads"
            )
            found[int(proc.name)] = kind, cpu_seconds(int(proc.name))
    return found


def cpu_shares(ours: dict[str, int], before: dict[int, tuple[str, float]], machine: float) -> dict[str, float]:
    """CPU seconds since `before`: ours by name, the servers, the busiest other process, the rest."""
    shares, others = Counter(dict.fromkeys(ours, 0.0)), Counter()
    for pid, (kind, seconds) in processes().items():
        used = seconds - before.get(pid, (kind, 0.0))[1]
        name = next((k for k, p in ours.items() if p == pid), None)
        (shares if name or kind == "PostgreSQL + Redis" else others)[name or kind] += used
    busiest = others.most_common(1)
    shares |= {f"busiest other: {busiest[0][0]}": busiest[0][1]} if busiest else {}
    shares["rest (other processes, kernel)"] = cpu_seconds() - machine - sum(shares.values())
    return shares


async def sql(url: str, statement, **params) -> list:
    from sqlalchemy import text

    from bot.storage.engine import make_engine

    engine = make_engine(url)
    async with engine.begin() as conn:
        result = await conn.execute(text(statement) if isinstance(statement, str) else statement, params)
        rows = result.all() if result.returns_rows else []
    await engine.dispose()
    return rows


async def outbox(url: str) -> str:
    from sqlalchemy import select

    from bot.helpdesk.models import OutboxMessage as Row

    rows = await sql(url, select(Row.status, Row.created_at, Row.sent_at))
    lags = [(sent - created).total_seconds() for _, created, sent in rows if sent]
    return f"{dict(Counter(status for status, _, _ in rows))}" + (
        f", sent {statistics.mean(lags):.0f} s after being queued on average, at most {max(lags):.0f} s" if lags else ""
    )


async def ready(http: ClientSession, port: int) -> None:
    for _ in range(600):
        with contextlib.suppress(ClientError):
            async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.2)
    raise SystemExit(f"the worker on {port} never became ready")


async def start_worker(command: list[str], env: dict, port: int, work: Path) -> asyncio.subprocess.Process:
    """One `opora run` on `port`, its output appended to work/worker-PORT.log."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        stdout=open(work / f"worker-{port}.log", "a"),
        env={**env, "OPORA_HTTP_PORT": str(port), "OPORA_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}"},
    )


async def sample(run: Run, pids: list[int], duration: float) -> None:
    """Every 30 s while the load lasts: (time, updates answered, the workers' CPU seconds)."""
    started = time.monotonic()
    while True:
        with contextlib.suppress(OSError):  # a worker restarted (faults.py)
            run.samples.append((time.monotonic(), len(run.done), sum(cpu_seconds(pid) for pid in pids)))
        if time.monotonic() - started >= duration - 1:
            return
        await asyncio.sleep(min(30, started + duration - time.monotonic()))


async def stop(processes: list[asyncio.subprocess.Process]) -> list[int]:
    """SIGTERM to each; their exit codes."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
    return [await asyncio.wait_for(p.wait(), 60) for p in processes]


baseline_processes: list[asyncio.subprocess.Process] = []


async def yardstick(args, n: int, env: dict, work: Path, http: ClientSession, runs: list[Run]) -> SimpleNamespace:
    """The baseline bot (`baseline_bot`), in as many processes as Opora had workers, under the same people
    for --baseline s: its updates/s and CPU per update."""
    await sql(env["OPORA_DATABASE_URL"], "DROP TABLE IF EXISTS bench_baseline_state")
    await sql(env["OPORA_DATABASE_URL"], "CREATE TABLE bench_baseline_state (chat BIGINT PRIMARY KEY, turns INTEGER)")
    ports = [18200 + i for i in range(n)]
    for port in ports:
        baseline_processes.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--baseline-bot",
                str(port),
                stdin=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                stdout=open(work / f"baseline-{port}.log", "a"),
                env=env,
            )
        )
    for port in ports:
        await ready(http, port)
    run = Run(args, ports, "", http)
    runs.append(run)
    pids = {f"baseline {i + 1}": p.pid for i, p in enumerate(baseline_processes)}
    before, machine, started = processes(), cpu_seconds(), time.monotonic()
    await run.people_talk(args.users, args.baseline)
    elapsed = time.monotonic() - started
    cpu = cpu_shares(pids, before, machine)
    codes = await stop(baseline_processes)
    answered = sum(t - started <= args.baseline for t in run.done)
    return SimpleNamespace(
        rate=answered / args.baseline,
        cpu=sum(cpu[name] for name in pids) / max(len(run.done), 1),
        errors=run.errors,
        elapsed=elapsed,
        codes=codes,
    )


async def main(args, fault=None) -> SimpleNamespace:
    """The run and its report. `fault` (bench/faults.py): `inject(ctx)` runs alongside the people (and is
    awaited after them), `drain(ctx)` replaces the --drain wait; ctx, returned, holds the run and its parts."""
    from bot.settings import Settings
    from bot.telegram.runner import webhook_secret

    work = Path(tempfile.mkdtemp(prefix="opora-load-"))
    env, n = {**os.environ, "OPORA_TELEGRAM_TOKEN": TOKEN}, 1 if args.sqlite else args.workers
    if args.sqlite:
        env["OPORA_DATABASE_URL"] = f"sqlite+aiosqlite:///{work}/opora.sqlite3"
    else:
        env |= {"OPORA_DATABASE_URL": PG_URL, "OPORA_REDIS_URL": REDIS_URL}
        subprocess.run([*PSQL, "CREATE DATABASE opora_load"], stderr=subprocess.DEVNULL)  # fails when it exists
        subprocess.run(
            [
                *PSQL,
                "SET client_min_messages = warning; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public",
                "opora_load",
            ],
            check=True,
        )
        subprocess.run(["redis-cli", "-u", REDIS_URL, "FLUSHDB"], check=True, stdout=subprocess.DEVNULL)
    db = env["OPORA_DATABASE_URL"]
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    api = await asyncio.create_subprocess_exec(sys.executable, __file__, "--fake-api", stdout=subprocess.PIPE)
    env["OPORA_TELEGRAM_API_URL"] = f"http://127.0.0.1:{int(await api.stdout.readline())}"
    ports = [18100 + i for i in range(n)]
    command = ["-m", "bot.cli", "run"]
    if args.cprofile:
        command = ["-m", "cProfile", "-o", str(work / "worker.cprofile"), *command]
    if args.overall_limit:
        env["OPORA_TELEGRAM_LIMIT_OVERALL"] = f"{args.overall_limit}/second"
    workers = [await start_worker(command, env, port, work) for port in ports]
    reading = codes = baseline = None
    try:
        async with ClientSession(connector=TCPConnector(limit=0), timeout=ClientTimeout(total=args.timeout)) as http:
            for port in ports:
                await ready(http, port)
            queues = [q for (q,) in await sql(db, "SELECT id FROM opora_queue ORDER BY id")]
            for i, queue in enumerate(queues, 1):
                await sql(
                    db,
                    "INSERT INTO opora_staff_chat (queue_id, channel, chat_id, bound_at) VALUES "
                    "(:q, 'telegram', :c, CURRENT_TIMESTAMP)",
                    q=queue,
                    c=str(-1_000_000 - i),
                )
            print(
                f"{n} worker(s) on {'SQLite' if args.sqlite else 'PostgreSQL + Redis'}, {len(queues)} staff "
                f"groups, {args.users} users, {os.cpu_count()} CPUs, logs in {work}",
                flush=True,
            )

            run = Run(args, ports, webhook_secret(Settings(telegram_token=TOKEN)), http)
            runs = [run]
            reading = asyncio.create_task(read(api, runs))
            pids = {"fake Bot API": api.pid} | {f"worker {i + 1}": w.pid for i, w in enumerate(workers)}
            pids["load generator"] = os.getpid()
            before, machine, started = processes(), cpu_seconds(), time.monotonic()
            ctx = SimpleNamespace(
                args=args,
                run=run,
                http=http,
                db=db,
                env=env,
                command=command,
                work=work,
                ports=ports,
                workers=workers,
                api_url=env["OPORA_TELEGRAM_API_URL"],
                started=started,
            )
            injecting = asyncio.create_task(fault.inject(ctx)) if fault else None
            sampling = asyncio.create_task(sample(run, [w.pid for w in workers], args.duration or 0))

            await run.people_talk(args.users, args.duration, getattr(args, "carry_on", False))
            sampling.cancel()
            if injecting:
                await injecting
            elapsed = time.monotonic() - started
            cpu = cpu_shares(pids, before, machine)
            turns: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
            for port in ports:
                with contextlib.suppress(ClientError):  # a worker may be down
                    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                        scraped = await response.text()
                    for part, kind, value in re.findall(
                        r'^opora_turn_seconds_(sum|count)\{kind="(\w+)"\} (\S+)$', scraped, re.M
                    ):
                        turns[kind][part == "count"] += float(value)
            queued, waited = await outbox(db), time.monotonic()
            await (fault.drain(ctx) if fault else asyncio.sleep(args.drain))
            drained, waited = await outbox(db), time.monotonic() - waited
            codes = await stop(workers)
            if getattr(args, "baseline", 0):
                baseline = await yardstick(args, n, env, work, http, runs)
    finally:
        if codes is None:
            codes = await stop(workers)
        for process in baseline_processes:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        api.terminate()
        if reading:  # what the fake API printed to the end
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reading, 10)

    window, ms = args.duration or elapsed, [x * 1000 for x in run.latencies]
    per_10s = Counter(int((t - started) // 10) for t in run.done)
    per_30s = Counter(int((t - started) // 30) for t in run.done)
    thirties = " ".join(f"{per_30s[k] / 30:.0f}" for k in range(int(window // 30)))
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else [float("nan")] * 99
    print(f"run: {elapsed:.1f} s; load for {window:.0f} s, then the sessions under way finished")
    print(
        f"updates answered: {len(run.done)}; {sum(t - started <= window for t in run.done) / window:.1f}/s over "
        f"the {window:.0f} s; per 10 s: {' '.join(f'{per_10s[k] / 10:.0f}' for k in range(int(elapsed // 10) + 1))}"
        + (f"; per 30 s: {thirties}" if window >= 60 else "")
    )
    during = sorted(t for t in run.done if t - started <= window)
    if len(during) > 1:  # a stall: a time with no update answered at all, while people were waiting
        per_second = Counter(int(t - started) for t in during)
        gap = max(b - a for a, b in itertools.pairwise(during))
        slowest = min(per_second[k] for k in range(1, int(window)))
        print(f"longest time without an answer while the load lasted: {gap:.2f} s; slowest second: {slowest} updates")
    workers_cpu = sum(v for k, v in cpu.items() if k.startswith("worker "))
    print(f"worker CPU per update answered: {1000 * workers_cpu / max(len(run.done), 1):.1f} ms overall", end="")
    if len(run.samples) > 1:
        (_, n0, c0), (_, n1, c1) = run.samples[0], run.samples[-1]
        steps = [1000 * (c - pc) / max(n - pn, 1) for (_, pn, pc), (_, n, c) in itertools.pairwise(run.samples)]
        print(
            f", {1000 * (c1 - c0) / max(n1 - n0, 1):.1f} ms while the load lasted; per 30 s: "
            + " ".join(f"{x:.1f}" for x in steps),
            end="",
        )
    print()
    if baseline:
        opora = sum(t - started <= window for t in run.done) / window
        print(
            f"baseline (a minimal aiogram webhook bot, {n} process(es), same people and database, "
            f"{args.baseline:.0f} s): {baseline.rate:.1f} updates/s, {1000 * baseline.cpu:.1f} ms CPU per update, "
            f"errors {sum(baseline.errors.values())} {dict(baseline.errors)}, exit codes {baseline.codes}\n"
            f"Opora / baseline: updates/s {100 * opora / baseline.rate:.0f} %, CPU per update "
            f"{workers_cpu / max(len(run.done), 1) / baseline.cpu:.1f} x"
        )
    rate = sum(t - started <= window for t in run.messages)
    busiest = max(Counter(map(int, run.messages)).values(), default=0)
    print(
        f"messages sent by the bot: {len(run.messages)}; {rate / window:.1f}/s over the {window:.0f} s; "
        f"{busiest} in the busiest second; {len(run.messages) / max(len(run.done), 1):.2f} per update answered "
        f"({(len(run.messages) - run.cards) / max(len(run.done), 1):.2f} without the cards to staff groups)"
    )
    print(f"messages per update answered, by what the person sent: {messages_by_kind(run)}")
    slowest = sorted((o for o in run.outcomes.values() if o["first"]), key=lambda o: o["t0"] - o["first"])[:5]
    print(
        "slowest updates (s into the run, what, ms): "
        + ", ".join(
            f"{o['t0'] - started:.1f} {o['what'] or 'text'} {1000 * (o['first'] - o['t0']):.0f}" for o in slowest
        )
    )
    print(
        f"update -> first message: p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms, p99 {q[98]:.0f} ms, "
        f"max {max(ms, default=0):.0f} ms"
    )
    print(
        f"errors: {sum(run.errors.values())} {dict(run.errors)}; help requests {run.requests}, "
        f"messages to staff groups {run.cards}"
    )
    count = sum(c for _, c in turns.values())
    print(
        f"opora_turn_seconds: mean {1000 * sum(s for s, _ in turns.values()) / max(count, 1):.1f} ms over {count:.0f}"
        f" turns ({', '.join(f'{k} {1000 * s / c:.1f} ms' for k, (s, c) in sorted(turns.items()) if c)})"
    )
    print(f"outbox at the end: {queued}\n  {waited:.0f} s later: {drained}")
    cores = os.cpu_count() * elapsed
    print(
        f"CPU over the run, of {os.cpu_count()} CPUs x {elapsed:.0f} s: "
        + ", ".join(f"{k} {v:.0f} s ({100 * v / cores:.0f} %)" for k, v in cpu.items())
        + f"; idle {100 - 100 * sum(cpu.values()) / cores:.0f} %"
    )
    logs = Counter(
        re.sub(r"\d+", "N", line.split(" ", 2)[-1] if line[:2] == "20" else line)[:150]
        for port in ports
        for line in (work / f"worker-{port}.log").read_text().splitlines()
        if re.search(r" (WARNING|ERROR|CRITICAL) |^\w[\w.]*(Error|Exception|Warning): ", line)
    )
    print(
        f"worker logs, warnings and errors: {sum(logs.values())}"
        + "".join(f"\n  {n} x {k}" for k, n in logs.most_common(6))
    )
    print(f"workers' exit codes after SIGTERM: {codes}")
    return ctx


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--workers", type=int, default=2)
    mode.add_argument("--sqlite", action="store_true")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--duration", type=float, help="seconds of load (default: one session per person)")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a person's updates, s")
    parser.add_argument(
        "--connections",
        type=int,
        default=40,
        help="webhook requests at once, as Telegram's max_connections (its default: 40); 0: no limit",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="for a webhook request and its first message, s")
    parser.add_argument("--drain", type=float, default=10.0, help="wait before counting the outbox again, s")
    parser.add_argument("--cprofile", action="store_true", help="run the worker under cProfile, into the logs' folder")
    parser.add_argument("--overall-limit", type=int, help="messages/s to all chats together (Opora's: 30)")
    parser.add_argument(
        "--baseline", type=float, default=30.0, help="then s of load on a minimal aiogram bot, for the ratio (0: none)"
    )
    parser.add_argument("--fake-api", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--baseline-bot", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.fake_api:
        fake_api()
    elif arguments.baseline_bot:
        baseline_bot(arguments.baseline_bot)
    else:
        asyncio.run(main(arguments))
