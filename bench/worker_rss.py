"""Memory of one `opora run` worker serving a generated catalogue of 20,000 services.

    .venv/bin/python bench/worker_rss.py [--services 20000] [--locations 30000] [--questions 300]

Generates and imports the catalogue as bench/answer_latency.py does (into a SQLite file), starts
`opora run` on it (the web chat, no messenger), asks --questions questions through the web chat,
and prints the worker's RSS and peak RSS (VmRSS, VmHWM) after start-up and after the questions."""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, CookieJar
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from answer_latency import generated_rows, write_datapackage  # noqa: E402

PORT = 18300


def memory(pid: int) -> str:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return f"RSS {int(fields['VmRSS'].split()[0]) / 1024:.0f} MB, peak {int(fields['VmHWM'].split()[0]) / 1024:.0f} MB"


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="opora-rss-"))
    package = await write_datapackage(generated_rows(args.services, args.locations), work)
    env = {
        **os.environ,
        "OPORA_DATABASE_URL": f"sqlite+aiosqlite:///{work}/opora.sqlite3",
        "OPORA_HTTP_PORT": str(PORT),
    }
    env["OPORA_LIMIT_TURNS"] = "100000/minute"  # one session asks them all
    for variable in ("OPORA_TELEGRAM_TOKEN", "OPORA_VIBER_TOKEN", "OPORA_REDIS_URL"):
        env.pop(variable, None)
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "catalog", "import-hsds", str(package)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"{args.services} services, {args.locations} locations imported into {work}", flush=True)
    started = time.perf_counter()
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "worker.log", "w"),
    )
    try:
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
            answered = 0
            for _ in range(1200):
                try:
                    async with http.get(f"http://127.0.0.1:{PORT}/readyz") as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                await asyncio.sleep(0.25)
            print(f"worker ready in {time.perf_counter() - started:.0f} s: {memory(worker.pid)}", flush=True)
            questions = [
                q["q"] for q in YAML(typ="safe").load((ROOT / "tests/data/questions.yaml").read_text())["questions"]
            ]
            async with http.get(f"http://127.0.0.1:{PORT}/api/ui") as response:
                csrf = (await response.json())["csrf"]
            for i in range(args.questions):
                async with http.post(
                    f"http://127.0.0.1:{PORT}/api/messages",
                    json={"text": questions[i % len(questions)]},
                    headers={"X-CSRF-Token": csrf},
                ) as response:
                    answered += response.status == 200
            print(f"after {args.questions} questions ({answered} answered): {memory(worker.pid)}")
    finally:
        worker.terminate()
        await asyncio.wait_for(worker.wait(), 60)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=20_000)
    parser.add_argument("--locations", type=int, default=30_000)
    parser.add_argument("--questions", type=int, default=300)
    asyncio.run(main(parser.parse_args()))
