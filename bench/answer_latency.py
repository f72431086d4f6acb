"""Answer-engine benchmark on a generated catalogue of 20,000 services and 30,000 locations.

    .venv/bin/python bench/answer_latency.py [--services 20000] [--locations 30000]

1. generates the catalogue from the seed services as templates, in many generated towns, and
   writes it as an HSDS 3 datapackage (with the Opora extension);
2. imports it with `opora catalog import-hsds` into a fresh SQLite database (which also stores
   the analysed terms of every service);
3. builds the in-memory index from that database (timed);
4. asks every question of the evaluation set, many times, and reports p50/p99 per question;
5. reports the peak RSS of this process.
"""

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.storage.engine import make_engine, sessions  # noqa: E402
from bot.storage.migrate import create_schema  # noqa: E402
from catalog import SEED_DATA  # noqa: E402
from catalog.gazetteer import Gazetteer  # noqa: E402
from catalog.hsds import export_csv  # noqa: E402
from catalog.loader import build_records  # noqa: E402
from catalog.models import Location, Organization, Place, Service, ServiceAtLocation  # noqa: E402
from catalog.search.engine import AnswerEngine  # noqa: E402
from catalog.search.index import build_index  # noqa: E402
from catalog.search.morphology import Morphology  # noqa: E402
from catalog.validation import load_checked  # noqa: E402

SYLLABLES = ["ка", "зан", "ло", "ве", "ри", "до", "бро", "ми", "ра", "сла", "во", "гра", "дец", "ни", "ко", "ле"]


def generated_rows(n_services: int, n_locations: int, seed: int = 7) -> dict[type, list[dict]]:
    rng = random.Random(seed)
    templates = list(build_records(load_checked(SEED_DATA)))
    services = [r for r in templates if isinstance(r, Service)]
    towns = []
    for i in range(max(n_locations // 30, 10)):
        name = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize() + f" {i}"
        towns.append(
            {
                "id": f"gen-town-{i}",
                "country": rng.choice(["BG", "UA"]),
                "kind": "town",
                "name": name,
                "translations": {"name": {"bg": name, "uk": name}},
                "aliases": {},
                "sources": ["generated"],
                "within_id": None,
                "latitude": rng.uniform(41.3, 51.5),
                "longitude": rng.uniform(22.4, 40.0),
                "assured_date": None,
            }
        )
    rows: dict[type, list[dict]] = {Place: towns, Organization: [], Service: [], Location: [], ServiceAtLocation: []}
    n_orgs = max(n_services // 10, 1)
    for o in range(n_orgs):
        town = towns[o % len(towns)]
        rows[Organization].append(
            {
                "id": f"gen-org-{o}",
                "name": f"Община {town['name']}",
                "translations": {"name": {"bg": f"Община {town['name']}", "uk": f"Громада {town['name']}"}},
                "sources": ["generated"],
                "provider_id": None,
            }
        )
    for loc in range(n_locations):
        o = loc % n_orgs
        town = towns[o % len(towns)]
        name = {"bg": f"Офис {loc} в {town['name']}", "uk": f"Офіс {loc} у {town['name']}"}
        rows[Location].append(
            {
                "id": f"gen-loc-{loc}",
                "organization_id": f"gen-org-{o}",
                "name": name["bg"],
                "translations": {"name": name},
                "place_id": town["id"],
                "latitude": town["latitude"],
                "longitude": town["longitude"],
                "location_type": "physical",
                "sources": ["generated"],
                "serves_areas": [],
                "serves_groups": [],
            }
        )
    for s in range(n_services):
        template = services[s % len(services)]
        o = s % n_orgs
        # What a typical directory record has: a name, a description and who is eligible.
        translations = {
            f: {lang: f"{text} {s}" if f == "name" else text for lang, text in texts.items() if lang in ("bg", "uk")}
            for f, texts in template.translations.items()
            if f in ("name", "description", "eligibility_description")
        }
        rows[Service].append(
            {
                "id": f"gen-svc-{s}",
                "organization_id": f"gen-org-{o}",
                "name": translations["name"].get("bg") or "",
                "status": "active",
                "translations": translations,
                "synonyms": template.synonyms,
                "target_groups": template.target_groups,
                "category": template.category,
                "sources": ["generated"],
                "minimum_age": template.minimum_age,
                "maximum_age": template.maximum_age,
            }
        )
        for k in range(2 if s < n_locations - n_services else 1):
            loc = (s + k * n_services) % n_locations
            rows[ServiceAtLocation].append(
                {
                    "id": f"gen-sal-{s}-{k}",
                    "service_id": f"gen-svc-{s}",
                    "location_id": f"gen-loc-{loc}",
                    "sources": ["generated"],
                }
            )
    return rows


async def write_datapackage(rows: dict[type, list[dict]], work: Path) -> Path:
    engine = make_engine(f"sqlite+aiosqlite:///{work}/generated.sqlite3")
    await create_schema(engine)
    async with engine.begin() as conn:
        for model, items in rows.items():
            for start in range(0, len(items), 2000):
                await conn.execute(model.__table__.insert(), items[start : start + 2000])
    await export_csv(sessions(engine), work / "hsds")
    await engine.dispose()
    return work / "hsds"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=20_000)
    parser.add_argument("--locations", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--measure", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return await measure(args.measure, args.rounds)
    work = Path(tempfile.mkdtemp(prefix="opora-bench-"))

    started = time.perf_counter()
    package = await write_datapackage(generated_rows(args.services, args.locations), work)
    print(f"generated {args.services} services, {args.locations} locations in {time.perf_counter() - started:.1f} s")

    db_url = f"sqlite+aiosqlite:///{work}/imported.sqlite3"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "catalog", "import-hsds", str(package)],
        check=True,
        cwd=ROOT,
        env={**os.environ, "OPORA_DATABASE_URL": db_url},
        stdout=subprocess.DEVNULL,
    )
    print(f"opora catalog import-hsds: {time.perf_counter() - started:.1f} s")

    # Measured in a fresh process, so that its peak RSS is the engine's alone.
    subprocess.run([sys.executable, __file__, "--measure", db_url, "--rounds", str(args.rounds)], check=True)


async def measure(db_url: str, rounds: int) -> None:
    engine = make_engine(db_url)
    morphology = Morphology()
    started = time.perf_counter()
    answers = AnswerEngine(await build_index(sessions(engine), morphology), gazetteer=Gazetteer())
    build = time.perf_counter() - started
    await engine.dispose()
    services = answers.index.services
    print(
        f"index: {len(services)} services, {sum(len(s.locations) for s in services)} service locations; "
        f"built from the database in {build:.2f} s; peak RSS so far {peak_rss_mb():.0f} MB"
    )

    questions = [
        q["q"]
        for name in ("questions.yaml", "questions_unseen_2026-11.yaml")
        for q in YAML(typ="safe").load((ROOT / "tests/data" / name).read_text())["questions"]
    ]
    for q in questions:
        answers.ask(q)  # warm-up
    timings = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            answers.ask(q)
            timings.append((time.perf_counter() - t0) * 1000)
    print(
        f"questions: {len(timings)} asked; p50 {statistics.median(timings):.2f} ms, "
        f"p99 {percentile(timings, 99):.2f} ms, max {max(timings):.2f} ms"
    )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


def peak_rss_mb() -> float:
    """This process's own peak. (Linux's ru_maxrss also counts the parent's peak from before the
    exec that started this process: the generator's half a gigabyte.)"""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    asyncio.run(main())
