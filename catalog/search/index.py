"""The in-memory search index, built from the catalogue database."""

import gc
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import Executable, Row, inspect, null, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.models import (
    Location,
    Organization,
    Place,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceTerms,
)
from catalog.search.lexicon import GROUP_CONCEPTS
from catalog.search.morphology import Morphology
from catalog.search.normalize import is_latin
from catalog.search.terms import (
    ENTRY,
    FIELDS,
    VERSION,
    WORD_LANGUAGES,
    Analyser,
    Numbers,
    analysed,
    numbers,
)
from catalog.search.tuning import FIELD_WEIGHTS, HOME_COUNTRY_BOOST
from catalog.texts import Texts, local_texts

MAX_WEIGHT = max(FIELD_WEIGHTS.values())
NO_AGE_LIMIT = 200  # the maximum age of a service that names none


# The docs hold what search and ranking need; the texts an answer shows are the directory's.
@dataclass(slots=True)
class LocationDoc:
    id: str
    place_id: str | None
    latitude: float | None
    longitude: float | None
    serves_areas: list[str] = field(default_factory=list)
    serves_groups: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ServiceDoc:
    id: str
    target_groups: list[str]
    category: str | None
    status: str
    min_age: int | None
    max_age: int | None
    areas: list[str]
    locations: list[LocationDoc]
    residence: str | None = None


@dataclass(slots=True)
class PlaceDoc:
    id: str
    names: Texts
    aliases: dict[str, list[str]]
    within: str | None
    latitude: float | None
    longitude: float | None
    country: str | None = None


# A (term, service, field) entry packed in one int64, so that one sort orders the postings and
# leaves each service's strongest field for a term last: term << 35 | service << 3 | field rank.
_RANKED_WEIGHTS = sorted(set(FIELD_WEIGHTS.values()))
_RANK = np.array([_RANKED_WEIGHTS.index(FIELD_WEIGHTS[name]) for name in FIELDS], dtype=np.int64)
_PENDING = 3_000  # added services awaiting their sort


class Postings(Mapping[str, tuple[np.ndarray, np.ndarray]]):
    """Term → (services, weights) and its IDF, in flat arrays by term number. The slices are made
    when asked: a dict of ready slices kept two numpy views of about 100 bytes for every term."""

    def __init__(
        self, numbers: dict[str, int], bounds: np.ndarray, docs: np.ndarray, weights: np.ndarray, idf: np.ndarray
    ):
        self._numbers = numbers
        self._bounds, self._docs, self._weights, self._idf = bounds, docs, weights, idf

    def __getitem__(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        number = self._numbers[term]
        start, end = self._bounds[number : number + 2].tolist()
        return self._docs[start:end], self._weights[start:end]

    def __contains__(self, term: object) -> bool:
        return term in self._numbers

    def __iter__(self) -> Iterator[str]:
        return iter(self._numbers)

    def __len__(self) -> int:
        return len(self._numbers)

    def idf(self, term: str) -> float:
        return float(self._idf[self._numbers[term]])


class SearchIndex:
    """Terms of every service in every language, weighted by field, as numpy postings.

    Services are added one by one and keep only what answers show (names, offices): their
    terms are indexed and let go, so a large catalogue never sits in memory whole."""

    def __init__(self, places: list[PlaceDoc], morphology: Morphology, numbers: Numbers | None = None):
        self.services: list[ServiceDoc] = []
        self.places = {p.id: p for p in places}
        self._ancestors: dict[str | None, frozenset[str]] = {}
        self.morphology = morphology
        self.analyser = Analyser(morphology, Numbers() if numbers is None else numbers)
        self._concepts_of = lru_cache(maxsize=None)(self._concepts)
        self._organization_of = lru_cache(maxsize=None)(self._organization)  # many services share one
        self._pending: list[np.ndarray] = []  # entries of terms (`terms.encode`) of a service
        self._owners: list[int] = []  # that service's number
        self._words: list[np.ndarray] = []
        self._keys: list[np.ndarray] = []

    def add(self, doc: ServiceDoc, organization: Texts, terms: np.ndarray, words: np.ndarray) -> None:
        """Files a service's terms and words (`terms.encode`), and its organisation's name's: a term
        is weighted by the strongest field it is in."""
        number = len(self.services)
        self._pending += (
            terms,
            self._organization_of(tuple(organization.items())),
            self._concepts_of(tuple(doc.target_groups)),
        )
        self._owners += (number, number, number)
        self._words.append(words)
        self.services.append(doc)
        if len(self.services) % _PENDING == 0:
            self._sort_pending()

    def _sort_pending(self) -> None:
        if not self._pending:
            return
        lengths = np.fromiter(map(len, self._pending), dtype=np.int64, count=len(self._pending))
        entries = np.concatenate(self._pending).astype(np.int64)
        keys = entries >> 3 << 35
        keys |= np.repeat(np.array(self._owners, dtype=np.int64) << 3, lengths)
        keys |= _RANK[entries & 7]
        del entries
        keys.sort()
        strongest = np.append(keys[1:] >> 3 != keys[:-1] >> 3, True)
        self._keys.append(keys[strongest])
        self._pending, self._owners = [], []

    def finish(self) -> "SearchIndex":
        services = self.services
        self._sort_pending()
        keys, end = np.empty(sum(map(len, self._keys)), dtype=np.int64), 0
        while self._keys:  # copied one by one and let go: only one extra sorted run at a time
            run = self._keys.pop()
            keys[end : end + len(run)] = run
            end += len(run)
        keys.sort(kind="stable")  # sorted runs: merged
        texts = list(self.analyser.numbers)  # by number
        bounds = np.searchsorted(keys, np.arange(len(texts) + 1, dtype=np.int64) << 35)
        counts = np.diff(bounds)
        # Softened IDF: in a catalogue of a few dozen services a word found once is not
        # three times as telling as one found in six.
        idf = np.sqrt(np.log1p(max(len(services), 1) / np.maximum(counts, 1)))
        weights = np.repeat(idf.astype(np.float32), counts)
        weights *= np.array(_RANKED_WEIGHTS, dtype=np.float32)[keys.astype(np.uint8) & 7]
        keys >>= 3
        docs = keys.astype(np.int32)  # the low 32 bits
        del keys
        self.postings = Postings({texts[t]: t for t in np.flatnonzero(counts).tolist()}, bounds, docs, weights, idf)
        words: dict[str, set[str]] = defaultdict(set)
        entries = np.unique(np.concatenate([np.empty(0, dtype=ENTRY), *self._words]))
        for number, lang in zip((entries >> 2).tolist(), (entries & 3).tolist()):
            words[WORD_LANGUAGES[lang]].add(texts[number])
        self.vocabulary = self._vocabulary(words)
        del self._words, self.analyser
        self._concepts_of.cache_clear()
        self._organization_of.cache_clear()
        shared: dict[frozenset[str], frozenset[str]] = {}  # services of a town share their places
        self.service_places = [tuple(shared.setdefault(p, p) for p in self._service_places(doc)) for doc in services]
        self.served_places = set().union(*(given | serves for given, serves in self.service_places))
        self.in_ukraine = np.array([self._country(doc) == "UA" for doc in services], dtype=bool)
        self.for_displaced = np.array([doc.residence == "displaced_from_area" for doc in services], dtype=bool)
        self.inactive = np.flatnonzero([doc.status != "active" for doc in services])
        self.home_boost = {
            lang: np.where(self.in_ukraine == (lang == "uk"), np.float32(HOME_COUNTRY_BOOST), np.float32(1))
            for lang in ("bg", "uk")
        }  # the asker's own country first
        self.min_age = np.array([doc.min_age or 0 for doc in services], dtype=np.int16)
        self.max_age = np.array(
            [NO_AGE_LIMIT if doc.max_age is None else doc.max_age for doc in services], dtype=np.int16
        )
        return self

    def _organization(self, names: tuple[tuple[str, str], ...]) -> np.ndarray:
        """Terms of an organisation's name in all its languages."""
        terms, words = self.analyser.service({"organization": dict(names)}, {})
        self._words.append(words)
        return terms

    def _concepts(self, groups: tuple[str, ...]) -> np.ndarray:
        return self.analyser.terms({c for group in groups for c in GROUP_CONCEPTS.get(group, ())}, "concepts")

    def _vocabulary(self, by_language: dict[str, set[str]]) -> dict[str, list[str]]:
        """Surface words of the catalogue: by first letter for typo correction, and by language
        (the words only one language uses) for language detection."""
        shared = by_language.get("bg", set()) & by_language.get("uk", set())
        self.language_words = {lang: by_language.get(lang, set()) - shared for lang in ("bg", "uk")}
        buckets: dict[str, list[str]] = defaultdict(list)
        for word in sorted(set().union(*by_language.values())) if by_language else ():  # ties: the same each run
            if len(word) >= 4 and not is_latin(word):
                buckets[word[0]].append(word)
        return dict(buckets)

    def ancestors(self, place_id: str | None) -> frozenset[str]:
        if place_id not in self._ancestors:
            out, within = set(), place_id
            while within and within not in out:
                out.add(within)
                place = self.places.get(within)
                within = place.within if place else None
            self._ancestors[place_id] = frozenset(out)
        return self._ancestors[place_id]

    def _country(self, doc: ServiceDoc) -> str:
        for place_id in [*doc.areas, *(loc.place_id for loc in doc.locations)]:
            place = self.places.get(place_id or "")
            if place and place.country:
                return place.country
        return ""

    def _service_places(self, doc: ServiceDoc) -> tuple[frozenset[str], frozenset[str]]:
        """Where a service is given, and whom (which areas) its offices serve besides."""
        given = frozenset().union(
            *map(self.ancestors, doc.areas), *(self.ancestors(loc.place_id) for loc in doc.locations)
        )
        return given, frozenset(a for loc in doc.locations for a in loc.serves_areas)


SERVICE_PAGE = 2000  # services read, indexed and let go at a time


async def build_index(sessions: async_sessionmaker[AsyncSession], morphology: Morphology) -> SearchIndex:
    """Build the index from the database with plain queries (ORM objects would cost seconds at
    20,000 services), reading services a page at a time."""
    # The cyclic collector would rescan the growing index over and over: seconds at 20,000
    # services, for objects that are kept anyway.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return await _build_index(sessions, morphology)
    finally:
        if collecting:
            gc.enable()


async def _build_index(sessions: async_sessionmaker[AsyncSession], morphology: Morphology) -> SearchIndex:
    async with sessions() as session:

        async def rows(query: Executable) -> Sequence[Row[Any]]:
            return (await session.execute(query)).all()

        places = await rows(
            select(
                Place.id,
                Place.translations,
                Place.name,
                Place.aliases,
                Place.within_id,
                Place.latitude,
                Place.longitude,
                Place.country,
            )
        )
        place_docs = [
            PlaceDoc(
                p.id,
                local_texts(p.translations, "name", p.name),
                p.aliases or {},
                p.within_id,
                p.latitude,
                p.longitude,
                p.country,
            )
            for p in places
        ]
        # Terms stored when the catalogue was loaded, if fresh and numbered by then (a load
        # may number more meanwhile); services without are analysed here. A database loaded
        # before terms were stored has not even their tables.
        stored = await session.run_sync(lambda s: inspect(s.connection()).has_table(ServiceTerms.__tablename__))
        index = SearchIndex(place_docs, morphology, await numbers(session) if stored else None)
        numbered = len(index.analyser.numbers)
        org_names = {
            o.id: local_texts(o.translations, "name", o.name)
            for o in await rows(select(Organization.id, Organization.translations, Organization.name))
        }
        location_docs = {
            loc.id: LocationDoc(
                loc.id, loc.place_id, loc.latitude, loc.longitude, loc.serves_areas or [], loc.serves_groups or []
            )
            for loc in await rows(
                select(
                    Location.id,
                    Location.place_id,
                    Location.latitude,
                    Location.longitude,
                    Location.serves_areas,
                    Location.serves_groups,
                )
            )
        }
        service_areas: dict[str, list[str]] = defaultdict(list)
        for a in await rows(select(ServiceArea.service_id, ServiceArea.place_id)):
            if a.place_id:
                service_areas[a.service_id].append(a.place_id)
        service_locations: dict[str, list[LocationDoc]] = defaultdict(list)
        for link in await rows(
            select(ServiceAtLocation.service_id, ServiceAtLocation.location_id).order_by(ServiceAtLocation.id)
        ):
            if link.location_id in location_docs:
                service_locations[link.service_id].append(location_docs[link.location_id])

        query = (
            select(
                Service.id,
                Service.organization_id,
                Service.target_groups,
                Service.category,
                Service.status,
                Service.minimum_age,
                Service.maximum_age,
                Service.residence,
                *(
                    (ServiceTerms.terms, ServiceTerms.words)
                    if stored
                    else (null().label("terms"), null().label("words"))
                ),
            )
            .order_by(Service.id)
            .limit(SERVICE_PAGE)
        )
        if stored:
            query = query.outerjoin(
                ServiceTerms,
                (ServiceTerms.service_id == Service.id)
                & (ServiceTerms.version == VERSION)
                & (ServiceTerms.numbered <= numbered),
            )
        last = None
        while True:
            page = await rows(query if last is None else query.where(Service.id > last))
            unstored = await analysed(session, index.analyser, [s.id for s in page if s.terms is None])
            for s in page:
                index.add(
                    ServiceDoc(
                        id=s.id,
                        target_groups=s.target_groups or [],
                        category=s.category,
                        status=s.status,
                        min_age=s.minimum_age,
                        max_age=s.maximum_age,
                        areas=service_areas.get(s.id, []),
                        locations=service_locations.get(s.id, []),
                        residence=s.residence,
                    ),
                    org_names.get(s.organization_id, {}),
                    *(
                        unstored[s.id]
                        if s.terms is None
                        else (np.frombuffer(s.terms, dtype=ENTRY), np.frombuffer(s.words, dtype=ENTRY))
                    ),
                )
            if len(page) < SERVICE_PAGE:
                break
            last = page[-1].id
    return index.finish()
