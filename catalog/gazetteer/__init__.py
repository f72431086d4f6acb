"""Every town and village of Bulgaria and Ukraine, found by name in any case or alphabet.

The data (`places.tsv.gz`) is made by `catalog/gazetteer/build.py` from the KATOTTG codifier and
GeoNames; see SOURCE.md beside this file. What is done by hand here is only the matching of
inflected forms ("у Львові", "в Бургасі", "от Варна"), because no library inflects village names:
pymorphy3 knows the big cities, and for the rest the common case endings are tried.
"""

import functools
import gzip
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from catalog.geo import distance_km

DATA = Path(__file__).with_name("places.tsv.gz")
KINDS = {"city": 0, "town": 1, "village": 2}
# Case endings of bg/uk/ru place names, longest first, and what a name may end in instead.
_ENDINGS = (
    "ського",
    "ському",
    "ськом",
    "ськім",
    "ової",
    "овій",
    "ові",
    "ого",
    "ому",
    "ами",
    "ах",
    "ях",
    "ом",
    "ем",
    "ой",
    "ою",
    "ею",
    "ій",
    "ии",
    "ів",
    "ът",
    "та",
    "а",
    "я",
    "у",
    "ю",
    "і",
    "и",
    "е",
    "ї",
    "о",
)
_NEW_ENDINGS = ("", "а", "я", "о", "е", "і", "и", "ь", "ів", "ове", "еве", "ське", "ськ")


@dataclass(frozen=True, slots=True)
class Settlement:
    id: str
    country: str  # BG or UA
    kind: str  # city, town or village
    name: str  # in the country's language
    latin: str | None  # its first name in Latin letters; its other names are only looked up by
    within: str  # the hromada (Ukraine), when known
    region: str
    latitude: float | None
    longitude: float | None
    population: int

    @property
    def rank(self) -> tuple[int, int, str]:
        """Among places of one name, the one people mean: the biggest."""
        return (-self.population, KINDS.get(self.kind, 3), self.id)


_CYRILLIC = re.compile("[\u0400-\u04ff]")


def key(name: str) -> str:
    """A name as it is looked up: lower case, ё as е, one apostrophe, no accents on Latin."""
    name = name.lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'").replace("-", " ")
    if not name.isascii() and not _CYRILLIC.search(name):  # ASCII has no accents to drop
        name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(name.split())


class Gazetteer:
    def __init__(self, path: Path = DATA):
        self.places: list[Settlement] = []
        # One word → the places it names, the one people mean first: the biggest, where a place's
        # own name counts double its other names (GeoNames gives Nikopol Sloviansk's names).
        self._single: dict[str, list[Settlement]] = {}
        ranked: dict[str, list[tuple[int, int, str, Settlement]]] = {}
        self._multi: dict[tuple[str, ...], list[tuple[str, Settlement]]] = {}
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            next(lines)
            for line in lines:
                self._add(line.rstrip("\n").split("\t"), ranked)
        self.by_id = {place.id: place for place in self.places}
        for word, found in ranked.items():
            self._single[word] = [place for *_rank, place in sorted(found)]

    def _add(self, row: list[str], ranked: dict[str, list[tuple[int, int, str, Settlement]]]) -> None:
        id_, country, kind, name, joined, within, region, lat, lon, population = row
        names = [n for n in joined.split("|") if n]  # Latin, Russian: 30 MB kept for one of them
        place = Settlement(
            id_,
            country,
            kind,
            name,
            next((n for n in names if n.isascii()), None),
            within,
            region,
            float(lat) if lat else None,
            float(lon) if lon else None,
            int(population or 0),
        )
        self.places.append(place)
        own = key(name)
        for each in {own} | {key(n) for n in names}:
            parts = each.split()
            if len(parts) == 1:
                weight = place.population * (2 if each == own else 1)
                ranked.setdefault(each, []).append((-weight, KINDS.get(kind, 3), id_, place))
            elif parts:
                self._multi.setdefault(tuple(p[:4] for p in parts), []).append((each, place))

    def named(self, name: str) -> list[Settlement]:
        """Places whose name (any of them) is exactly this, biggest first."""
        return self._get(key(name))

    def _get(self, word: str) -> list[Settlement]:
        return self._single.get(word, [])

    def find(self, word: str, lemmas: Callable[[str], Iterable[str]] = lambda w: ()) -> list[Settlement]:
        """Places one word names, in any case: the word itself, what `lemmas` (a morphology)
        makes of it, and the word with a case ending swapped for a name's ending."""
        word = key(word)
        if len(word) < 3:
            return []
        if found := self._get(word):
            return found
        for lemma in lemmas(word):
            if found := self._get(key(lemma)):
                return found
        for ending in _ENDINGS:
            stem = word[: -len(ending)]
            if word.endswith(ending) and len(stem) >= 3:
                # Харків, Харкова; Київ, Києва: і/ї in the name, о/е/є in its cases
                swapped = stem[:-2] + {"о": "і", "е": "і", "є": "ї"}.get(stem[-2], stem[-2]) + stem[-1]
                for new in _NEW_ENDINGS:
                    if (found := self._get(stem + new)) or (found := self._get(swapped + new)):
                        return found
        return []

    def find_phrase(self, phrase: list[str]) -> list[Settlement]:
        """Places of several words ("Стара Загора", "у Білій Церкві"), by their words' first
        letters and then a close spelling."""
        words = [key(w) for w in phrase]
        candidates = self._multi.get(tuple(w[:4] for w in words), ())
        text = " ".join(words)
        found = [place for name, place in candidates if fuzz.ratio(name, text) >= 75]
        return sorted(found, key=lambda s: s.rank)

    def nearest(self, latitude: float, longitude: float, within_km: float = 30) -> Settlement | None:
        """The biggest place with known coordinates near a point (what a shared location is in)."""
        near = [
            (distance_km(latitude, longitude, p.latitude, p.longitude), p)
            for p in self.places
            if p.latitude is not None
            and p.longitude is not None
            and abs(p.latitude - latitude) < 0.5
            and abs(p.longitude - longitude) < 0.7
        ]
        near = [(d, p) for d, p in near if d <= within_km]
        if not near:
            return None
        # The closest town counts more than a village next door.
        return min(near, key=lambda dp: dp[0] / math.log10(max(dp[1].population, 10)))[1]


@functools.cache
def shipped() -> Gazetteer:
    """The gazetteer Opora ships, read once per process: reading it takes about a second, and it
    never changes while Opora runs (engines rebuilt after a catalogue reload share it)."""
    return Gazetteer()
