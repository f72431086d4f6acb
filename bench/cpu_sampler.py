"""CPU seconds per 30 s of each kind of process while something else runs (a load of bench/load.py):
Opora's workers, PostgreSQL, Redis, the fake Bot API, the load generator, the busiest others. It
shows which process's cost grows over a long run, which bench/load.py's totals do not.

    .venv/bin/python bench/cpu_sampler.py [--samples 11] [--every 30] &
    .venv/bin/python bench/load.py --workers 2 --duration 300 --baseline 0 --overall-limit 100000"""

import argparse
import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def processes() -> dict[int, tuple[str, str, float]]:
    """pid → (name, command line, CPU seconds so far)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_text().replace("\0", " ")
        except OSError:  # gone meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (
            stat[stat.index("(") + 1 : stat.rindex(")")],
            command,
            (int(fields[11]) + int(fields[12])) / TICKS,
        )
    return found


def kind(name: str, command: str) -> str:
    if name.startswith("postgres"):
        return "postgres"
    if name.startswith("redis"):
        return "redis"
    for part, what in (("bot.cli", "workers"), ("--fake-api", "fake api"), ("load.py", "load")):
        if part in command:
            return what
    return name


def main(args: argparse.Namespace) -> None:
    before = processes()
    for _ in range(args.samples):
        time.sleep(args.every)
        now = processes()
        used: dict[str, float] = {}
        for pid, (name, command, cpu) in now.items():
            earlier = before.get(pid)
            spent = cpu - (earlier[2] if earlier and earlier[0] == name else 0.0)
            used[kind(name, command)] = used.get(kind(name, command), 0.0) + spent
        busiest = sorted(used.items(), key=lambda item: -item[1])[:6]
        print(time.strftime("%H:%M:%S"), "  ".join(f"{k} {v:.1f}" for k, v in busiest), flush=True)
        before = now


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=11)
    parser.add_argument("--every", type=float, default=30.0)
    main(parser.parse_args())
