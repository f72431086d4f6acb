"""Seconds per test file from pytest's JUnit XML (`pytest --junitxml=run.xml`), one column per run:

    python bench/test_durations.py /tmp/baseline.xml /tmp/after.xml

A test's time is its setup, call and teardown. With pytest-xdist the files run side by side, so
the wall-clock time of a run (its last line) is below the sum of its column."""

import sys
import xml.etree.ElementTree as ET
from collections import defaultdict


def per_file(path: str) -> tuple[dict[str, tuple[float, int]], float, int]:
    """{file: (seconds, tests)}, the run's wall-clock seconds, and how many failed or erred."""
    root = ET.parse(path).getroot()
    files: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for case in root.iter("testcase"):
        name = case.get("classname", "").split(".")
        module = next((i for i, part in enumerate(name) if part.startswith("test_")), len(name) - 1)
        entry = files["/".join(name[: module + 1]) + ".py"]
        entry[0] += float(case.get("time") or 0)
        entry[1] += 1
    suites = list(root.iter("testsuite"))
    wall = sum(float(s.get("time") or 0) for s in suites)
    bad = sum(int(s.get("failures") or 0) + int(s.get("errors") or 0) for s in suites)
    return {f: (t, int(n)) for f, (t, n) in files.items()}, wall, bad


def main(paths: list[str]) -> None:
    runs = [per_file(p) for p in paths]
    names = sorted({f for files, _, _ in runs for f in files}, key=lambda f: -max(r[0].get(f, (0, 0))[0] for r in runs))
    width = max(len(n) for n in [*names, "wall clock, and failed or erred"])

    def row(label: str, cells: list[tuple[float, int] | None]) -> str:
        return f"{label:<{width}}" + "".join(f"  {c[0]:8.1f} {c[1]:5d}" if c else f"  {'-':>8} {'-':>5}" for c in cells)

    print(f"{'':<{width}}" + "".join(f"  {'run ' + str(i + 1):>14}" for i in range(len(runs))))
    print(f"{'file':<{width}}" + "  {:>8} {:>5}".format("seconds", "tests") * len(runs))
    for name in names:
        print(row(name, [files.get(name) for files, _, _ in runs]))
    sums = [(sum(t for t, _ in f.values()), sum(n for _, n in f.values())) for f, _, _ in runs]
    print(row("sum of the tests", sums))
    print(row("wall clock, and failed or erred", [(wall, bad) for _, wall, bad in runs]))


if __name__ == "__main__":
    main(sys.argv[1:] or sys.exit(__doc__))
