"""Which places a question names: the catalogue's own, and every other town and village.

The catalogue's places (`places.yaml`) are matched in every grammatical form. Any other
settlement of Bulgaria or Ukraine comes from the gazetteer, and is linked to the catalogue
where it belongs to a covered place (a village of Kramatorsk hromada) or is one (Казанлък)."""

import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from catalog.gazetteer import Gazetteer, Settlement, key
from catalog.geo import distance_km
from catalog.search.index import PlaceDoc
from catalog.search.morphology import Morphology
from catalog.search.normalize import is_latin, words
from catalog.search.tuning import PLACE_FUZZ_CUTOFF, PLACE_FUZZ_MIN_LENGTH

# Settlements this big are recognised in any spelling; smaller ones only where the person
# clearly names a place (a capital letter, or "in", "from", "village" before it), because many
# villages are called like common words (Надія, Дружба, Баня).
BIG_TOWN = 10_000
CITY = 50_000  # a city's name is its name even where it is also a word (Варна)
PLACE_MARKERS = {
    "в",
    "във",
    "у",
    "от",
    "из",
    "з",
    "із",
    "зі",
    "до",
    "град",
    "гр",
    "село",
    "с",
    "селище",
    "смт",
    "місто",
    "м",
    "город",
    "г",
    "около",
    "біля",
    "близо",
    "край",
    "near",
    "in",
    "from",
    "village",
    "town",
    "city",
}


@dataclass(frozen=True)
class Elsewhere:
    """A place the catalogue does not cover, as the person named it."""

    names: dict[str, str]  # bg, uk, en
    country: str
    latitude: float | None
    longitude: float | None
    settlement: str | None = None  # the gazetteer id
    place: str | None = None  # or the catalogue's id, for a place it knows but does not cover


class PlaceFinder:
    def __init__(
        self, places: dict[str, PlaceDoc], served: set[str], morphology: Morphology, gazetteer: Gazetteer | None
    ):
        self.places = places
        self.served = served
        self.morphology = morphology
        self.gazetteer = gazetteer
        self.forms, self.phrases = self._catalogue_forms()
        self.buckets: dict[str, list[str]] = {}
        for form in self.forms:
            self.buckets.setdefault(form[:1], []).append(form)
        self.linked = self._link() if gazetteer else {}
        points = [
            (place_id, self._point(places.get(place_id)))
            for place_id in sorted(served)
            if place_id in places and places[place_id].latitude is not None
        ]
        self._served = [place_id for place_id, point in points if point]
        self._served_points = np.radians(np.array([point for _id, point in points if point] or [(0.0, 0.0)]))
        self.hromadas = {
            key(p.names.get("uk", "")).split(" ")[0]: p.id
            for p in places.values()
            if p.country == "UA" and p.names.get("uk") and "громада" in p.names["uk"]
        }

    def _catalogue_forms(self) -> tuple[dict[str, str], dict[str, list[tuple[re.Pattern[str], str]]]]:
        """Single-word names in every form, and multi-word names as patterns, filed under the
        first four letters of their first word."""
        forms: dict[str, str] = {}
        phrases: dict[str, list[tuple[re.Pattern[str], str]]] = {}
        for place in self.places.values():
            for name in list(place.names.values()) + [a for v in place.aliases.values() for a in v]:
                parts = words(name)
                if len(parts) > 1:
                    stems = [re.escape(p[: max(4, len(p) - 2)]) + r"\w*" for p in parts]
                    phrases.setdefault(parts[0][:4], []).append((re.compile(r"\b" + r"\s+".join(stems)), place.id))
                    continue
                if not parts:
                    continue
                word = parts[0]
                found = {word, word + "а", word + "ът", word + "я"}
                if not is_latin(word):
                    found |= self.morphology.forms(word, "uk") | self.morphology.forms(word, "ru")
                for form in sorted(found):  # in one order, so that fuzzy ties go the same way each run
                    forms.setdefault(form, place.id)
        return forms, phrases

    def _link(self) -> dict[str, str]:
        """Gazetteer id → catalogue place id, for the catalogue's own places: by name, and where
        a name is shared (three villages called Дунавци) the one nearest the place it is within."""
        linked: dict[str, str] = {}
        if self.gazetteer is None:
            return linked
        for place in self.places.values():
            point = self._point(place)
            for name in place.names.values():
                found = self.gazetteer.named(name)
                found = [s for s in found if s.country == place.country]
                if point and len(found) > 1:
                    found.sort(
                        key=lambda s: (
                            distance_km(*point, s.latitude, s.longitude)
                            if s.latitude is not None and s.longitude is not None
                            else 1e9
                        )
                    )
                if found:
                    linked.setdefault(found[0].id, place.id)
                    break
        return linked

    def _point(self, place: PlaceDoc | None) -> tuple[float, float] | None:
        while place is not None:
            if place.latitude is not None and place.longitude is not None:
                return place.latitude, place.longitude
            place = self.places.get(place.within or "")
        return None

    # --- one word -------------------------------------------------------------------------

    def catalogue_place(self, word: str) -> str | None:
        if word in self.forms:
            return self.forms[word]
        if len(word) >= PLACE_FUZZ_MIN_LENGTH:
            match = process.extractOne(
                word, self.buckets.get(word[:1], ()), scorer=fuzz.ratio, score_cutoff=PLACE_FUZZ_CUTOFF
            )
            if match:
                return self.forms[match[0]]
        return None

    def settlement(self, variants: list[str], marked: bool, word: bool = False) -> Settlement | None:
        """The settlement a word names, if it clearly names one: marked as a place, or a town big
        enough that its name is not also a common `word`."""
        if self.gazetteer is None:
            return None
        for variant in variants:
            for found in self.gazetteer.find(variant, self._lemmas)[:1]:
                if marked or found.population >= BIG_TOWN and (not word or found.population >= CITY):
                    return found
        return None

    def settlement_phrase(self, pair: list[str]) -> Settlement | None:
        if self.gazetteer is None:
            return None
        found = self.gazetteer.find_phrase(pair)
        return found[0] if found else None

    def _lemmas(self, word: str) -> set[str]:
        if is_latin(word):
            return set()
        return {self.morphology.lemma(word, lang) for lang in ("uk", "ru")}

    def resolve(self, settlement: Settlement) -> str | Elsewhere:
        """A catalogue place id for a settlement the catalogue covers, else where it is."""
        if settlement.id in self.linked:
            return self.linked[settlement.id]
        if settlement.country == "UA" and (hromada := self.hromadas.get(key(settlement.within))):
            return hromada
        names = {"bg": settlement.name, "uk": settlement.name}
        if settlement.latin:
            names["en"] = settlement.latin
        return Elsewhere(names, settlement.country, settlement.latitude, settlement.longitude, settlement.id)

    def known_elsewhere(self, place_id: str) -> Elsewhere | None:
        """A catalogue place that no service covers (Sofia, Plovdiv): named, but elsewhere."""
        place = self.places[place_id]
        around = {place_id}
        within = self.places.get(place.within or "")
        while within is not None:
            around.add(within.id)
            within = self.places.get(within.within or "")
        if around & self.served:
            return None
        latitude, longitude = self._point(place) or (None, None)
        return Elsewhere(dict(place.names), place.country or "", latitude, longitude, place=place_id)

    def elsewhere(self, settlement_id: str) -> Elsewhere | None:
        """A remembered town by its gazetteer id."""
        settlement = self.gazetteer.by_id.get(settlement_id) if self.gazetteer else None
        found = self.resolve(settlement) if settlement else None
        return found if isinstance(found, Elsewhere) else None

    def nearest_served(self, latitude: float, longitude: float) -> tuple[str, float] | None:
        """The covered place nearest a point, and how far it is (haversine over all of them at once)."""
        if not self._served:
            return None
        lat, lon = np.radians(latitude), np.radians(longitude)
        h = (
            np.sin((self._served_points[:, 0] - lat) / 2) ** 2
            + np.cos(lat) * np.cos(self._served_points[:, 0]) * np.sin((self._served_points[:, 1] - lon) / 2) ** 2
        )
        i = int(np.argmin(h))
        return self._served[i], distance_km(latitude, longitude, *np.degrees(self._served_points[i]))
