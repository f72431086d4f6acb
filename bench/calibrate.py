"""Fits the answer engine's CALIBRATION: how often the first service is right, by score.

    .venv/bin/python bench/calibrate.py

Asks every in-scope question of tests/data/questions.yaml (the tuning set, not the unseen one),
bins them by the best service's score, and prints, per bin, how many first answers were right,
made monotone (pool adjacent violators), as the table to paste into catalog/search/engine.py."""

import sys
import tempfile
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.answers_helpers import seed_engine  # noqa: E402

BINS = 6


def main() -> None:
    engine = seed_engine(tempfile.mkdtemp(prefix="opora-calibrate-"))
    questions = YAML(typ="safe").load((ROOT / "tests/data/questions.yaml").read_text())["questions"]
    seen = []
    for q in questions:
        if q["intent"] != "search" or q.get("before") or q.get("session"):
            continue
        answer = engine.ask(q["q"])
        right = answer.intent == "search" and bool(answer.results) and answer.results[0].service_id in q["expect"]
        seen.append((answer.score, right))
    seen.sort()
    size = len(seen) // BINS
    bins = [seen[i * size : (i + 1) * size if i < BINS - 1 else len(seen)] for i in range(BINS)]
    points = [[sum(s for s, _ in b) / len(b), sum(r for _, r in b) / len(b), len(b)] for b in bins]
    merged = []  # pool adjacent violators: the share right never falls as the score rises
    for point in points:
        merged.append(point)
        while len(merged) > 1 and merged[-2][1] > merged[-1][1]:
            (s1, r1, n1), (s2, r2, n2) = merged.pop(-2), merged.pop()
            merged.append([(s1 * n1 + s2 * n2) / (n1 + n2), (r1 * n1 + r2 * n2) / (n1 + n2), n1 + n2])
    for score, right, n in merged:
        print(f"score ≈ {score:.2f}: {right:.0%} right of {n}")
    table = ((0.0, 0.0), *((round(s, 2), round(r, 2)) for s, r, _ in merged))
    print("CALIBRATION =", table)


if __name__ == "__main__":
    main()
