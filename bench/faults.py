"""Faults during load, each followed by a checker that every help request and message arrived exactly once.

    .venv/bin/python bench/faults.py [--fault kill|postgres|redis|botapi|sqlite|starve|all|none] [--users 300]
                                     [--duration S] [--at S] [--think 0] [--timeout 30] [--drain-cap 300]

Each fault is a run of bench/load.py (2 workers on PostgreSQL + Redis, its report printed) with the fault
injected --at s into the load (default 8, botapi 15; --duration: default per fault, long enough to outlast
it); a person who gave up on an answer begins again with /start while the load lasts:
  kill      kill -9 worker 1; updates it refuses go at once to the other one, as a load balancer would;
            5 s later it is started again (same command, environment and port) and waited for (/readyz)
  postgres  pg_ctlcluster restart of the cluster
  redis     redis-cli shutdown nosave, and 15 s later redis-server started again as it ran
  botapi    the fake Bot API answers every send* method 429 (retry_after 5) for 15 s, then 502 for 15 s
  none      no fault: the checker's baseline
  sqlite    (issue 16, H1) not a fault of the load above: bench/contention.py's SQLite contention run,
            50 help-request flows on one process for 60 s, with its checker (no failed turn, p99 ≤ 1 s,
            a bystander's /start in < 1 s)
  starve    (issue 16, H2) bench/contention.py's outbox starvation run: 5,000 cards queued for one staff
            group, and a message to another chat delivered within 2 s each; the group's in order
After the load, the outbox is polled until nothing is pending or sending (at most --drain-cap s). Then the
checker, from the database and the fake Bot API's log of delivered messages:
  1. every request a person was told the number of (the reply with its `staff:add:N` button) is stored, for
     that person; nobody has more requests than times they pressed "send";
  2. every outbox row is sent; every request's card reached each staff group of its queue exactly once;
  3. every update is answered 200 within its tries, is in opora_processed_update and got a message; direct
     replies delivered
     twice for one update are counted (a reply cut by the Bot API failing, then redelivered, shows twice).
PostgreSQL and Redis are brought back whatever happens. The exit status is 1 when a checker fails.
"""

import argparse
import asyncio
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load

PG = [
    "pg_ctlcluster",
    "--skip-systemctl-redirect",
    sorted(p.name for p in Path("/etc/postgresql").glob("*"))[-1],
    "main",
]
REDIS = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]
DURATION = {"kill": 30, "postgres": 30, "redis": 35, "botapi": 60, "none": 20}
AT = {"botapi": 15}  # once help requests are under way, so that cards meet the failures too
SORRY = "Sorry, something went wrong on our side. Please try again in a minute."
STALE = "Sorry, that button is out of date. Here is the menu."


def ok(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True).returncode == 0


async def shell(*command: str) -> None:
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)
    if done.returncode:
        print(f"  ! {' '.join(command)}: exit {done.returncode} {done.stderr.strip()[:200]}", flush=True)


async def restore() -> None:
    """PostgreSQL and Redis up, as they were."""
    if not ok(["pg_isready", "-q", "-h", "127.0.0.1"]):
        await shell(*PG, "start")
    if not ok(["redis-cli", "ping"]):
        await shell(*REDIS)
    for _ in range(100):
        if ok(["pg_isready", "-q", "-h", "127.0.0.1"]) and ok(["redis-cli", "ping"]):
            return
        await asyncio.sleep(0.2)


class Fault:
    def __init__(self, name: str, args):
        self.name, self.at, self.cap = name, args.at or AT.get(name, 8.0), args.drain_cap
        self.start = self.lifted = self.drained = None
        self.notes: list[str] = []

    def note(self, ctx, text: str) -> None:
        self.notes.append(f"{time.monotonic() - ctx.started:5.1f} s: {text}")
        print(f"  [{self.name}] {self.notes[-1]}", flush=True)

    async def inject(self, ctx) -> None:
        await asyncio.sleep(self.at)
        self.start = time.monotonic()
        try:
            await getattr(self, self.name)(ctx)
        finally:
            await restore()
            self.lifted = time.monotonic()
            self.note(ctx, "fault over")

    async def drain(self, ctx) -> None:
        """Until no outbox row is pending or sending, at most --drain-cap s."""
        began = time.monotonic()
        while time.monotonic() - began < self.cap:
            try:
                ((left,),) = await load.sql(
                    ctx.db, "SELECT count(*) FROM opora_outbox WHERE status IN ('pending', 'sending')"
                )
            except Exception as error:
                left = f"unknown ({type(error).__name__})"
            if left == 0:
                break
            await asyncio.sleep(2)
        self.drained = time.monotonic() - began
        await asyncio.sleep(1)  # the last deliveries' lines

    async def none(self, ctx) -> None:
        pass

    async def kill(self, ctx) -> None:
        worker, port = ctx.workers[0], ctx.ports[0]
        worker.kill()  # SIGKILL
        await worker.wait()
        self.note(ctx, f"worker on {port} (pid {worker.pid}) killed with SIGKILL")
        await asyncio.sleep(5)
        ctx.workers[0] = await load.start_worker(ctx.command, ctx.env, port, ctx.work)
        self.note(ctx, f"worker on {port} started again (pid {ctx.workers[0].pid})")
        await load.ready(ctx.http, port)
        self.note(ctx, f"worker on {port} ready, {time.monotonic() - self.start:.1f} s after the kill")

    async def postgres(self, ctx) -> None:
        self.note(ctx, "PostgreSQL restarting")
        await shell(*PG, "restart")
        self.note(ctx, f"PostgreSQL restarted in {time.monotonic() - self.start:.1f} s")

    async def redis(self, ctx) -> None:
        await shell("redis-cli", "shutdown", "nosave")
        self.note(ctx, "Redis stopped")
        await asyncio.sleep(15)
        await shell(*REDIS)
        self.note(ctx, "Redis started again")

    async def botapi(self, ctx) -> None:
        for code in (429, 502):
            async with ctx.http.post(
                f"{ctx.api_url}/control/fail", json={"seconds": 15, "code": code, "retry_after": 5}
            ) as response:
                response.raise_for_status()
            self.note(ctx, f"Bot API answers send* with {code} for 15 s")
            await asyncio.sleep(15)


def window(updates: list[tuple[float, int]], t: float) -> int | None:
    """The update of a person whose turn it was at time t: the last one sent before t."""
    found = None
    for t0, uid in updates:
        if t0 > t:
            break
        found = uid
    return found


async def check(fault: Fault, ctx) -> bool:
    from bot.core.i18n import Translator

    run, db = ctx.run, ctx.db
    people = set(run.people)
    sorry = {
        Translator(lang)(text): kind for lang in ("uk", "bg") for kind, text in (("sorry", SORRY), ("stale", STALE))
    }
    failures = []

    def verdict(title: str, problems: list[str], figures: list[str]) -> None:
        print(f"{title}: {'FAIL' if problems else 'PASS'}")
        for line in figures + [f"  ✗ {p}" for p in problems]:
            print(f"    {line}")
        failures.extend(problems)

    # 1. help requests
    rows = await load.sql(db, "SELECT id, user_id, queue_id FROM opora_help_request WHERE channel = 'telegram'")
    stored = {rid: (user, queue) for rid, user, queue in rows}
    by_user = Counter(user for user, _ in stored.values())
    told: dict[int, str] = {}
    for chat, _t, payloads, _m, _text in run.log:
        for p in payloads:
            if chat in people and p.startswith("staff:add:"):
                told[int(p.split(":")[2])] = chat
    presses = Counter(o["chat"] for o in run.outcomes.values() if o["what"] == "staff:send")
    missing = [
        f"request No. {n} told to {chat} but not stored" for n, chat in sorted(told.items()) if n not in stored
    ] + [
        f"request No. {n} told to {chat} is stored for {stored[n][0]}"
        for n, chat in sorted(told.items())
        if n in stored and stored[n][0] != chat
    ]
    doubled = [
        f"user {u}: {n} requests stored, {presses[u]} presses of send"
        for u, n in sorted(by_user.items())
        if n > presses[u]
    ]
    untold = sorted(set(stored) - set(told))
    verdict(
        "1. help requests",
        missing + doubled,
        [
            f"people pressed send {sum(presses.values())} times; the load generator counted {run.requests} completed",
            f"requests people were told the number of: {len(told)}; stored for those people: "
            f"{sum(1 for n, c in told.items() if stored.get(n, (None,))[0] == c)}; rows in opora_help_request: "
            f"{len(stored)}",
            f"stored but the person was never told the number: {len(untold)}" + (f" {untold[:20]}" if untold else ""),
        ],
    )

    # 2. the outbox and the staff cards
    chats = defaultdict(list)
    for queue, chat in await load.sql(db, "SELECT queue_id, chat_id FROM opora_staff_chat WHERE channel = 'telegram'"):
        chats[queue].append(chat)
    outbox = await load.sql(db, "SELECT id, chat_id, request_id, card, status, attempts, last_error FROM opora_outbox")
    statuses = Counter(row[4] for row in outbox)
    unsent = [
        f"outbox {i} ({chat}, request {r}) is {status} after {a} attempts: {err}"
        for i, chat, r, card, status, a, err in outbox
        if status != "sent"
    ]
    card_rows = Counter((chat, r) for _i, chat, r, card, _s, _a, _e in outbox if card)
    delivered = Counter()
    for chat, _t, payloads, _m, text in run.log:
        if chat.startswith("-") and text.startswith("<b>🆕"):
            delivered[(chat, next((int(p.split(":")[2]) for p in payloads if p.startswith("st:take:")), None))] += 1
    expected = {(chat, r) for r, (_u, queue) in stored.items() for chat in chats[queue]}
    lost = sorted(k for k in expected if delivered[k] == 0)
    twice = sorted((k, n) for k, n in delivered.items() if n > 1)
    stray = sorted(k for k in delivered if k not in expected)
    rows_off = sorted((k, card_rows[k]) for k in expected | set(card_rows) if card_rows[k] != 1)
    verdict(
        "2. outbox and staff cards",
        unsent
        + [f"card of request {r} never reached {c}" for c, r in lost]
        + [f"card of request {r} reached {c} {n} times" for (c, r), n in twice]
        + [f"card of request {r} to {c}, which is no staff group of its queue" for c, r in stray]
        + [f"request {r}, chat {c}: {n} card rows in the outbox" for (c, r), n in rows_off],
        [
            f"outbox rows: {dict(statuses)}; rows that needed more than one attempt: "
            f"{sum(1 for row in outbox if row[5] > 1)}; drained {fault.drained:.0f} s after the load",
            f"cards expected {len(expected)} (requests x staff groups of their queue), delivered "
            f"{sum(delivered.values())} ({len(expected) - len(lost)} distinct); other outbox rows "
            f"{sum(1 for row in outbox if not row[3])}",
        ],
    )

    # 3. updates
    keys = Counter(
        k for (k,) in await load.sql(db, "SELECT key FROM opora_processed_update WHERE channel = 'telegram'")
    )
    acked = {uid for uid, o in run.outcomes.items() if o["status"] == 200}
    unrecorded = sorted(acked - {int(k) for k in keys})
    silent = sorted(uid for uid in acked if run.outcomes[uid]["first"] is None)
    partial = sum(1 for o in run.outcomes.values() if o["status"] != 200 and o["first"] is not None)
    refused = sorted(uid for uid, o in run.outcomes.items() if o["status"] != 200)
    recorded_refused = sorted(uid for uid in refused if str(uid) in keys)
    sequences = defaultdict(list)
    for uid, o in run.outcomes.items():
        sequences[o["chat"]].append((o["t0"], uid))
    replies = defaultdict(Counter)
    for chat, t, payloads, method, text in run.log:
        if chat in people and (uid := window(sorted(sequences[chat]), t)) is not None:
            replies[uid][(method, text, " ".join(payloads))] += 1
    repeated = sorted(uid for uid, c in replies.items() if max(c.values()) > 1)
    verdict(
        "3. updates",
        [f"update {u} answered 200 but not in opora_processed_update" for u in unrecorded]
        + [
            f"update {u} of {run.outcomes[u]['chat']} ({run.outcomes[u]['what'] or 'text'}) answered 200 after "
            f"{run.outcomes[u]['attempts']} tries but no message came"
            for u in silent
        ]
        + [f"update_id {k} recorded {n} times" for k, n in keys.items() if n > 1]
        + [
            f"update {u} of {run.outcomes[u]['chat']} never answered 200 in {run.outcomes[u]['attempts']} tries: "
            "Telegram would give up on it"
            for u in refused
        ],
        [
            f"updates sent {len(run.outcomes)}; answered 200 {len(acked)}; got a message {len(run.done)}; "
            f"never answered 200 (every try failed) {len(refused)}, "
            f"of which recorded as handled {len(recorded_refused)}"
            + (f" {recorded_refused[:20]}" if recorded_refused else "")
            + f", of which got a message anyway {partial}"
            f"; rows in opora_processed_update {len(keys)}",
            f"duplicated direct replies (one update answered twice): {len(repeated)} updates"
            + (
                f" {repeated[:20]}, delivered {[run.outcomes[u]['attempts'] for u in repeated[:20]]} times"
                if repeated
                else " — it did not happen"
            ),
        ],
    )

    # figures
    said = Counter()
    errors_at = list(run.failures) + [o["t0"] for o in run.outcomes.values() if o["first"] is None]
    for chat, t, _p, _m, text in run.log:
        if chat in people and (kind := sorry.get(text)):
            said[kind] += 1
            errors_at.append(t)
    after = [t for t in errors_at if fault.start and t >= fault.start]
    print(
        f"figures: errors seen by people {sum(run.errors.values())} {dict(run.errors)}; 'sorry, something went "
        f"wrong' {said['sorry']}, 'button out of date' {said['stale']}"
    )
    if fault.start:
        print(
            f"  fault at {fault.start - ctx.started:.1f} s, over at {fault.lifted - ctx.started:.1f} s; "
            + (
                f"last error seen by people {max(after) - fault.start:.1f} s after the fault began "
                f"({max(after) - fault.lifted:+.1f} s after it was over)"
                if after
                else "no error seen by people"
            )
        )
    for note in fault.notes:
        print(f"  {note}")
    return not failures


async def one(name: str, args) -> bool:
    print(f"\n===== fault: {name} =====", flush=True)
    fault = Fault(name, args)
    options = argparse.Namespace(
        sqlite=False,
        workers=2,
        users=args.users,
        think=args.think,
        connections=40,
        duration=args.duration or DURATION[name],
        timeout=args.timeout,
        drain=0,
        overall_limit=args.overall_limit,
        carry_on=True,
    )
    try:
        ctx = await load.main(options, fault)
    finally:
        await restore()
    print(f"----- checker: {name} -----")
    passed = await check(fault, ctx)
    print(f"verdict {name}: {'PASS' if passed else 'FAIL'}", flush=True)
    return passed


async def contention(name: str) -> bool:
    import contention as runs

    print(f"\n===== {name} =====", flush=True)
    options = runs.parser().parse_args([name])
    options.duration = 60.0 if name == "sqlite" else 30.0
    if name == "starve":
        runs.stamp_arrivals()
    return await (runs.sqlite_run(options) if name == "sqlite" else runs.starve_run(options))


async def main(args) -> int:
    if args.fault in ("sqlite", "starve"):
        return 0 if await contention(args.fault) else 1
    names = ["kill", "postgres", "redis", "botapi"] if args.fault == "all" else [args.fault]
    verdicts = {name: await one(name, args) for name in names}
    if len(names) > 1:
        print("\n" + "; ".join(f"{n}: {'PASS' if v else 'FAIL'}" for n, v in verdicts.items()))
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--fault", choices=["kill", "postgres", "redis", "botapi", "sqlite", "starve", "all", "none"], default="all"
    )
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--duration", type=float, help="seconds of load (default: per fault, 30 to 45)")
    parser.add_argument("--at", type=float, help="seconds into the load when the fault begins (default: 8, botapi 15)")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between a person's updates, s")
    parser.add_argument("--timeout", type=float, default=30.0, help="for a webhook request and its first message, s")
    parser.add_argument("--drain-cap", type=float, default=300.0, help="longest wait for the outbox to drain, s")
    parser.add_argument("--overall-limit", type=int, default=100000, help="messages/s to all chats together")
    sys.exit(asyncio.run(main(parser.parse_args())))
