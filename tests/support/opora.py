"""The one way tests start Opora: `opora run` (or another command) as a separate process, with
only the OPORA_ settings the test gives and in an empty directory, so that neither a developer's
environment nor a `.env` reaches it."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from support.databases import seeded_sqlite
from support.ports import free_port
from support.waiting import Watched

ROOT = Path(__file__).resolve().parents[2]
TELEGRAM_TOKEN = "123456:TEST-token"
# The fake APIs count no messages: the Bot API's per-chat limit (5 in 5 seconds) would only make
# the tests wait. tests/test_coordination.py checks the limits themselves.
RELAXED_TELEGRAM_LIMITS = {"OPORA_TELEGRAM_LIMIT_CHAT": "1000/second", "OPORA_TELEGRAM_LIMIT_OVERALL": "1000/second"}
READY = "Opora is running"
PORT_TAKEN = "address already in use"


def environment(env: Mapping[str, str]) -> dict[str, str]:
    """This environment without any OPORA_ variable, and `env`: the code is this checkout's."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("OPORA_")}
    return inherited | {"PYTHONPATH": str(ROOT)} | dict(env)


_EMPTY = tempfile.TemporaryDirectory(prefix="opora-cwd-")  # removed when the tests end


def empty_directory() -> str:
    """A working directory with no `.env` in it."""
    return _EMPTY.name


def opora_command(
    *args: str, env: Mapping[str, str], input: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`opora <args>` run to its end: its exit code and what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=environment(env),
        cwd=empty_directory(),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def opora_cli(tmp_path: Path, *args: str) -> str:
    """What `opora <args>` prints, on the SQLite database an `OporaProcess` in `tmp_path` uses;
    with no PATH: it needs no other program."""
    env = {"OPORA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3", "PATH": ""}
    done = opora_command(*args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


class OporaProcess(Watched):
    """`opora run` on a free port (`{port}` in a setting's value is that port), with a SQLite
    database in `tmp_path` unless given: as its first start leaves it (migrated, the seed catalogue
    loaded) or, with `fresh`, empty. What it prints is kept in `printed`, what it logs in `log`."""

    def __init__(self, tmp_path: Path, name: str = "opora", fresh: bool = False, **env: str):
        super().__init__()
        self.database = None if "OPORA_DATABASE_URL" in env or fresh else tmp_path / f"{name}.sqlite3"
        self.env = {
            "OPORA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/{name}.sqlite3",
            "OPORA_OUTBOX_RETRY_SECONDS": "0.1",  # a failed send is retried after 0.2 s, 0.4 s, … (not 2 s, 4 s, …)
            **env,
        }
        self.log = tmp_path / f"{name}.log"
        self.port = 0
        self.printed: list[str] = []
        self.logged: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Future | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 120) -> Self:
        """Start it and return once it is running; on another port if its port was taken meanwhile."""
        if self.database and not self.database.exists():
            await seeded_sqlite(self.database)
        for _attempt in range(5):
            self.port = int(self.env.get("OPORA_HTTP_PORT") or free_port())
            env = {k: v.replace("{port}", str(self.port)) for k, v in self.env.items()}
            self.printed.clear()
            self.logged.clear()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env=environment({**env, "OPORA_HTTP_PORT": str(self.port)}),
                cwd=empty_directory(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            self._reading = asyncio.gather(
                self._read(self.process.stdout, self.printed), self._read(self.process.stderr, self.logged, self.log)
            )
            await self.wait_until(lambda: self.said(READY) or self._reading.done(), timeout)
            if self.said(READY):
                return self
            await self.process.wait()
            if not (self.said(PORT_TAKEN) and "OPORA_HTTP_PORT" not in self.env):
                break
        raise AssertionError(f"opora run stopped before running:\n{''.join(self.printed)[-3000:]}")

    def said(self, text: str) -> bool:
        """Whether it printed or logged `text`."""
        return any(text in line for line in [*self.printed, *self.logged])

    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def stop(self) -> int:
        """SIGTERM, as on Ctrl-C or a deploy: its exit code."""
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 30)
        await self._reading
        return code

    async def _read(self, output: asyncio.StreamReader, lines: list[str], copy: Path | None = None) -> None:
        with copy.open("ab") if copy else contextlib.nullcontext() as file:
            while line := await output.readline():
                if file:
                    file.write(line)
                    file.flush()
                lines.append(line.decode(errors="replace"))
                await self.notify()
        await self.notify()


def telegram_opora(tmp_path: Path, api_url: str, **env: str) -> OporaProcess:
    """Opora with a bot token, talking to a fake Bot API (long polling unless a webhook is set)."""
    token = {"OPORA_TELEGRAM_TOKEN": TELEGRAM_TOKEN, "OPORA_TELEGRAM_API_URL": api_url}
    return OporaProcess(tmp_path, **(token | RELAXED_TELEGRAM_LIMITS | env))


async def start_opora(tmp_path: Path, api_url: str, **env: str) -> OporaProcess:
    return await telegram_opora(tmp_path, api_url, **env).start()


async def stop(opora: OporaProcess) -> int:
    return await opora.stop()
