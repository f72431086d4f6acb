"""The in-memory search index, built from the catalogue database (or from plain documents)."""

import math
from collections import defaultdict
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
from catalog.search.normalize import is_latin, to_cyrillic, words
from catalog.texts import pick

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
    """Terms of every service in every language, weighted by field, as numpy postings."""

    def __init__(self, services: list[ServiceDoc], places: list[PlaceDoc], morphology: Morphology):
        self.services = services
        self.places = {p.id: p for p in places}
        self.morphology = morphology
        self._text_terms_cached = lru_cache(maxsize=200_000)(self._analyse)
        weights: dict[str, dict[int, float]] = defaultdict(dict)
        for i, doc in enumerate(services):
            for term, weight in self._doc_terms(doc).items():
                weights[term][i] = weight
        n = max(len(services), 1)
        # Softened IDF: in a catalogue of a few dozen services a word found once is not
        # three times as telling as one found in six.
        self.idf = {t: math.sqrt(math.log(1 + n / len(p))) for t, p in weights.items()}
        self.postings = {
            t: (np.fromiter(p.keys(), dtype=np.int32, count=len(p)),
                np.fromiter(p.values(), dtype=np.float32, count=len(p)) * self.idf[t])
            for t, p in weights.items()
        }
        self.vocabulary = self._vocabulary(services)
        self._text_terms_cached.cache_clear()
        words.cache_clear()
        for doc in services:  # answers need only the names; the texts stay in the database
            doc.texts = {"name": doc.texts.get("name", {})}
            doc.synonyms = {}
        self.service_places = [self._service_places(doc) for doc in services]
        self.served_places = set().union(*(given | serves for given, serves in self.service_places))
        self.in_ukraine = np.array([self._country(doc) == "UA" for doc in services], dtype=bool)
        self.for_displaced = np.array([doc.residence == "displaced_from_area" for doc in services],
                                      dtype=bool)
        self.active = np.array([doc.status == "active" for doc in services], dtype=bool)
        self.min_age = np.array([doc.min_age or 0 for doc in services], dtype=np.int16)
        self.max_age = np.array([200 if doc.max_age is None else doc.max_age for doc in services],
                                dtype=np.int16)

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
        return frozenset(self.morphology.term(word, language) for word in words(text)
                         if len(word) > 1 and word not in STOPWORDS for language in langs)

    def _vocabulary(self, services: list[ServiceDoc]) -> dict[str, list[str]]:
        """Surface words of the catalogue: by first letter for typo correction, and by language
        (the words only one language uses) for language detection."""
        texts: dict[str, set[str]] = defaultdict(set)
        for doc in services:
            for field_texts in (*doc.texts.values(), doc.organization):
                for lang, text in field_texts.items():
                    texts[lang].add(text)
            for lang, lang_texts in doc.synonyms.items():
                texts[lang].update(lang_texts)
        by_language: dict[str, set[str]] = {}
        for lang, unique in texts.items():
            by_language[lang] = set()
            for text in unique:
                by_language[lang].update(words(text))
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


async def load_documents(sessions: async_sessionmaker) -> tuple[list[ServiceDoc], list[PlaceDoc]]:
    """Read what the index needs with plain queries: ORM objects would cost seconds at 20,000."""
    async with sessions() as session:
        async def rows(*columns, order=None):
            query = select(*columns)
            return (await session.execute(query.order_by(order) if order is not None else query)).all()

        places = await rows(Place.id, Place.translations, Place.name, Place.aliases, Place.within_id,
                            Place.latitude, Place.longitude, Place.country)
        organizations = await rows(Organization.id, Organization.translations, Organization.name)
        services = await rows(Service.id, Service.organization_id, Service.translations, Service.name,
                              Service.description, Service.synonyms, Service.target_groups,
                              Service.category, Service.status, Service.minimum_age,
                              Service.maximum_age, Service.residence, order=Service.id)
        areas = await rows(ServiceArea.service_id, ServiceArea.place_id)
        links = await rows(ServiceAtLocation.service_id, ServiceAtLocation.location_id,
                           order=ServiceAtLocation.id)
        locations = await rows(Location.id, Location.translations, Location.name, Location.place_id,
                               Location.latitude, Location.longitude, Location.serves_areas,
                               Location.serves_groups)
        addresses = await rows(Address.location_id, Address.translations, Address.address_1,
                               Address.city, order=Address.id)
        phones = await rows(Phone.location_id, Phone.number, order=Phone.id)

    place_docs = [PlaceDoc(p.id, _texts(p.translations, "name", p.name), p.aliases or {}, p.within_id,
                           p.latitude, p.longitude, p.country) for p in places]
    city_names = {p.id: p.names for p in place_docs}
    org_names = {o.id: _texts(o.translations, "name", o.name) for o in organizations}
    first_address = {}
    for a in addresses:
        first_address.setdefault(a.location_id, a)
    location_phones: dict[str, list[str]] = defaultdict(list)
    for p in phones:
        if p.location_id:
            location_phones[p.location_id].append(p.number)
    location_docs = {}
    for loc in locations:
        address = first_address.get(loc.id)
        city = city_names.get(loc.place_id or "") or (
            _texts(address.translations, "city", address.city) if address else {})
        location_docs[loc.id] = LocationDoc(
            id=loc.id, name=_texts(loc.translations, "name", loc.name), place_id=loc.place_id,
            city=city, address=_texts(address.translations, "address_1", address.address_1) if address else {},
            phones=location_phones.get(loc.id, []), latitude=loc.latitude, longitude=loc.longitude,
            serves_areas=loc.serves_areas or [], serves_groups=loc.serves_groups or [])
    service_areas: dict[str, list[str]] = defaultdict(list)
    for a in areas:
        if a.place_id:
            service_areas[a.service_id].append(a.place_id)
    service_locations: dict[str, list[LocationDoc]] = defaultdict(list)
    for link in links:
        if link.location_id in location_docs:
            service_locations[link.service_id].append(location_docs[link.location_id])
    docs = []
    for s in services:
        texts = {f: _texts(s.translations, f, getattr(s, f, None)) for f in
                 ("name", "alternate_name", "description", "eligibility_description")}
        docs.append(ServiceDoc(
            id=s.id, name=texts["name"], organization=org_names.get(s.organization_id, {}),
            texts=texts, synonyms=s.synonyms or {}, target_groups=s.target_groups or [],
            category=s.category, status=s.status, min_age=s.minimum_age, max_age=s.maximum_age,
            areas=service_areas.get(s.id, []), locations=service_locations.get(s.id, []),
            residence=s.residence))
    return docs, place_docs


def _texts(translations: dict | None, field: str, hsds_value: str | None) -> Texts:
    texts = dict((translations or {}).get(field) or {})
    if not texts and hsds_value:
        texts["und"] = hsds_value  # an untranslated HSDS value
    return texts


def text_in(texts: Texts, lang: str) -> str | None:
    return pick(texts, lang) or texts.get("und")
