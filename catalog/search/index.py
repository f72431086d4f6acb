"""The in-memory search index, built from the catalogue database (or from plain documents)."""

from array import array
from collections import defaultdict
from collections.abc import Iterable
from itertools import repeat
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from catalog.models import (
    Address, Location, Organization, Phone, Place, Service, ServiceArea, ServiceAtLocation,
)
from catalog.search.lexicon import GROUP_CONCEPTS, STOPWORDS
from catalog.search.morphology import LANGUAGES, Morphology
from catalog.search.normalize import is_latin, words

# How much a word counts depending on where in a service it stands.
FIELD_WEIGHTS = {"name": 3.0, "synonyms": 2.95, "alternate_name": 2.5, "synonym_phrases": 2.0,
                 "concepts": 1.5,
                 "organization": 1.2, "description": 1.0, "eligibility_description": 0.7}
MAX_WEIGHT = max(FIELD_WEIGHTS.values())
Texts = dict[str, str]


@dataclass
class LocationDoc:
    id: str
    name: Texts
    place_id: str | None
    city: Texts
    address: Texts
    phones: list[str]
    latitude: float | None
    longitude: float | None
    serves_areas: list[str] = field(default_factory=list)
    serves_groups: list[str] = field(default_factory=list)


@dataclass
class ServiceDoc:
    id: str
    name: Texts
    organization: Texts
    texts: dict[str, Texts]
    synonyms: dict[str, list[str]]
    target_groups: list[str]
    category: str | None
    status: str
    min_age: int | None
    max_age: int | None
    areas: list[str]
    locations: list[LocationDoc]
    residence: str | None = None


@dataclass
class PlaceDoc:
    id: str
    names: Texts
    aliases: dict[str, list[str]]
    within: str | None
    latitude: float | None
    longitude: float | None
    country: str | None = None


class SearchIndex:
    """Terms of every service in every language, weighted by field, as numpy postings.

    Services are added one by one and keep only what answers show (names, offices): their
    long texts are read, indexed and let go, so a large catalogue never sits in memory whole."""

    def __init__(self, places: list[PlaceDoc], morphology: Morphology):
        self.services: list[ServiceDoc] = []
        self.places = {p.id: p for p in places}
        self.morphology = morphology
        self._text_terms_cached = lru_cache(maxsize=20_000)(self._analyse)
        # (term number, service number, weight) triples, as compact arrays while services stream in
        self._term_ids: dict[str, int] = defaultdict(lambda: len(self._term_ids))
        self._terms, self._docs, self._weights = array("i"), array("i"), array("f")
        self._words: dict[str, set[str]] = defaultdict(set)

    @classmethod
    def from_documents(cls, services: Iterable[ServiceDoc], places: list[PlaceDoc],
                       morphology: Morphology) -> "SearchIndex":
        index = cls(places, morphology)
        for doc in services:
            index.add(doc)
        return index.finish()

    def add(self, doc: ServiceDoc) -> None:
        terms = self._doc_terms(doc)
        self._terms.extend(map(self._term_ids.__getitem__, terms))
        self._docs.extend(repeat(len(self.services), len(terms)))
        self._weights.extend(terms.values())
        doc.texts = {"name": doc.texts.get("name", {})}  # the rest stays in the database
        doc.synonyms = {}
        self.services.append(doc)

    def finish(self) -> "SearchIndex":
        services = self.services
        terms = np.frombuffer(self._terms, dtype=np.int32)
        order = np.argsort(terms, kind="stable")
        docs = np.frombuffer(self._docs, dtype=np.int32)[order]
        weights = np.frombuffer(self._weights, dtype=np.float32)[order]
        counts = np.bincount(terms, minlength=len(self._term_ids))
        bounds = np.concatenate(([0], np.cumsum(counts)))
        # Softened IDF: in a catalogue of a few dozen services a word found once is not
        # three times as telling as one found in six.
        idf = np.sqrt(np.log1p(max(len(services), 1) / np.maximum(counts, 1)))
        self.idf, self.postings = {}, {}
        for term, t in self._term_ids.items():
            self.idf[term] = float(idf[t])
            self.postings[term] = (docs[bounds[t]:bounds[t + 1]],
                                   weights[bounds[t]:bounds[t + 1]] * np.float32(idf[t]))
        self.vocabulary = self._vocabulary(self._words)
        del self._term_ids, self._terms, self._docs, self._weights, self._words
        self._text_terms_cached.cache_clear()
        words.cache_clear()
        self.service_places = [self._service_places(doc) for doc in services]
        self.served_places = set().union(*(given | serves for given, serves in self.service_places))
        self.in_ukraine = np.array([self._country(doc) == "UA" for doc in services], dtype=bool)
        self.for_displaced = np.array([doc.residence == "displaced_from_area" for doc in services],
                                      dtype=bool)
        self.active = np.array([doc.status == "active" for doc in services], dtype=bool)
        self.min_age = np.array([doc.min_age or 0 for doc in services], dtype=np.int16)
        self.max_age = np.array([200 if doc.max_age is None else doc.max_age for doc in services],
                                dtype=np.int16)
        return self

    def _doc_terms(self, doc: ServiceDoc) -> dict[str, float]:
        """Each term of a service with the weight of the strongest field it stands in.
        A text is analysed in its own language only; questions are analysed in all three."""
        fields: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for name in ("name", "alternate_name", "description", "eligibility_description"):
            fields[name] += [(text, lang) for lang, text in doc.texts.get(name, {}).items()]
        fields["synonyms"] = [(" ; ".join(t for t in texts if " " not in t.strip()), lang)
                              for lang, texts in doc.synonyms.items()]
        fields["synonym_phrases"] = [(" ; ".join(t for t in texts if " " in t.strip()), lang)
                                     for lang, texts in doc.synonyms.items()]
        fields["organization"] = [(text, lang) for lang, text in doc.organization.items()]
        terms: dict[str, float] = {}
        for group in doc.target_groups:
            terms.update(dict.fromkeys(GROUP_CONCEPTS.get(group, ()), FIELD_WEIGHTS["concepts"]))
        for name in sorted(fields, key=FIELD_WEIGHTS.__getitem__, reverse=True):
            found = frozenset().union(*(self._text_terms(text, lang) for text, lang in fields[name]))
            terms.update(dict.fromkeys(found - terms.keys(), FIELD_WEIGHTS[name]))
        return terms

    def _text_terms(self, text: str, lang: str) -> frozenset[str]:
        if lang == "en":
            return frozenset()  # questions come in bg, uk or ru; Latin ones are transliterated
        return self._text_terms_cached(text, lang if lang in LANGUAGES else None)

    def _analyse(self, text: str, lang: str | None) -> frozenset[str]:
        langs = (lang,) if lang else LANGUAGES
        self._words[lang or "und"].update(words(text))  # for typo correction and language votes
        return frozenset(self.morphology.term(word, language) for word in words(text)
                         if len(word) > 1 and word not in STOPWORDS for language in langs)

    def _vocabulary(self, by_language: dict[str, set[str]]) -> dict[str, list[str]]:
        """Surface words of the catalogue: by first letter for typo correction, and by language
        (the words only one language uses) for language detection."""
        shared = by_language.get("bg", set()) & by_language.get("uk", set())
        self.language_words = {lang: by_language.get(lang, set()) - shared for lang in ("bg", "uk")}
        buckets: dict[str, list[str]] = defaultdict(list)
        for word in set().union(*by_language.values()) if by_language else ():
            if len(word) >= 4 and not is_latin(word):
                buckets[word[0]].append(word)
        return dict(buckets)

    def ancestors(self, place_id: str | None) -> set[str]:
        out = set()
        while place_id and place_id not in out:
            out.add(place_id)
            place = self.places.get(place_id)
            place_id = place.within if place else None
        return out

    def _country(self, doc: ServiceDoc) -> str:
        for place_id in [*doc.areas, *(loc.place_id for loc in doc.locations)]:
            place = self.places.get(place_id or "")
            if place and place.country:
                return place.country
        return ""

    def _service_places(self, doc: ServiceDoc) -> tuple[set[str], set[str]]:
        """Where a service is given, and whom (which areas) its offices serve besides."""
        given = set()
        for area in doc.areas:
            given |= self.ancestors(area)
        for loc in doc.locations:
            given |= self.ancestors(loc.place_id)
        serves = {a for loc in doc.locations for a in loc.serves_areas}
        return given, serves


SERVICE_PAGE = 2000  # services read, indexed and let go at a time


async def build_index(sessions: async_sessionmaker, morphology: Morphology) -> SearchIndex:
    """Build the index from the database with plain queries (ORM objects would cost seconds at
    20,000 services), reading services a page at a time."""
    async with sessions() as session:
        async def rows(*columns, order=None, where=None, limit=None):
            query = select(*columns)
            if where is not None:
                query = query.where(where)
            if order is not None:
                query = query.order_by(order)
            return (await session.execute(query.limit(limit) if limit else query)).all()

        places = await rows(Place.id, Place.translations, Place.name, Place.aliases, Place.within_id,
                            Place.latitude, Place.longitude, Place.country)
        place_docs = [PlaceDoc(p.id, _texts(p.translations, "name", p.name), p.aliases or {},
                               p.within_id, p.latitude, p.longitude, p.country) for p in places]
        index = SearchIndex(place_docs, morphology)
        city_names = {p.id: p.names for p in place_docs}
        org_names = {o.id: _texts(o.translations, "name", o.name) for o in await rows(
            Organization.id, Organization.translations, Organization.name)}
        location_docs = _location_docs(
            city_names,
            await rows(Location.id, Location.translations, Location.name, Location.place_id,
                       Location.latitude, Location.longitude, Location.serves_areas,
                       Location.serves_groups),
            await rows(Address.location_id, Address.translations, Address.address_1, Address.city,
                       order=Address.id),
            await rows(Phone.location_id, Phone.number, order=Phone.id))
        service_areas: dict[str, list[str]] = defaultdict(list)
        for a in await rows(ServiceArea.service_id, ServiceArea.place_id):
            if a.place_id:
                service_areas[a.service_id].append(a.place_id)
        service_locations: dict[str, list[LocationDoc]] = defaultdict(list)
        for link in await rows(ServiceAtLocation.service_id, ServiceAtLocation.location_id,
                               order=ServiceAtLocation.id):
            if link.location_id in location_docs:
                service_locations[link.service_id].append(location_docs[link.location_id])

        last = None
        while True:
            page = await rows(Service.id, Service.organization_id, Service.translations, Service.name,
                              Service.description, Service.synonyms, Service.target_groups,
                              Service.category, Service.status, Service.minimum_age,
                              Service.maximum_age, Service.residence, order=Service.id,
                              where=Service.id > last if last is not None else None, limit=SERVICE_PAGE)
            for s in page:
                texts = {f: _texts(s.translations, f, getattr(s, f, None)) for f in
                         ("name", "alternate_name", "description", "eligibility_description")}
                index.add(ServiceDoc(
                    id=s.id, name=texts["name"], organization=org_names.get(s.organization_id, {}),
                    texts=texts, synonyms=s.synonyms or {}, target_groups=s.target_groups or [],
                    category=s.category, status=s.status, min_age=s.minimum_age,
                    max_age=s.maximum_age, areas=service_areas.get(s.id, []),
                    locations=service_locations.get(s.id, []), residence=s.residence))
            if len(page) < SERVICE_PAGE:
                break
            last = page[-1].id
    return index.finish()


def _location_docs(city_names: dict[str, Texts], locations, addresses, phones) -> dict[str, LocationDoc]:
    first_address = {}
    for a in addresses:
        first_address.setdefault(a.location_id, a)
    location_phones: dict[str, list[str]] = defaultdict(list)
    for p in phones:
        if p.location_id:
            location_phones[p.location_id].append(p.number)
    docs = {}
    for loc in locations:
        address = first_address.get(loc.id)
        city = city_names.get(loc.place_id or "") or (
            _texts(address.translations, "city", address.city) if address else {})
        docs[loc.id] = LocationDoc(
            id=loc.id, name=_texts(loc.translations, "name", loc.name), place_id=loc.place_id,
            city=city, address=_texts(address.translations, "address_1", address.address_1) if address else {},
            phones=location_phones.get(loc.id, []), latitude=loc.latitude, longitude=loc.longitude,
            serves_areas=loc.serves_areas or [], serves_groups=loc.serves_groups or [])
    return docs


def _texts(translations: dict | None, field: str, hsds_value: str | None) -> Texts:
    texts = dict((translations or {}).get(field) or {})
    if not texts and hsds_value:
        texts["und"] = hsds_value  # an untranslated HSDS value
    return texts

