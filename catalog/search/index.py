"""The in-memory search index, built from the catalogue database (or from plain documents)."""

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import selectinload

from catalog.models import Location, Organization, Place, Service, ServiceAtLocation
from catalog.search.lexicon import GROUP_CONCEPTS, STOPWORDS
from catalog.search.morphology import Morphology
from catalog.search.normalize import is_latin, to_cyrillic, words
from catalog.texts import pick

# How much a word counts depending on where in a service it stands.
FIELD_WEIGHTS = {"name": 3.0, "synonyms": 3.0, "alternate_name": 2.5, "concepts": 1.5,
                 "organization": 1.2, "description": 1.0, "locations": 1.0,
                 "eligibility_description": 0.7}
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
        weights: dict[str, dict[int, float]] = defaultdict(dict)
        for i, doc in enumerate(services):
            for term, weight in self._doc_terms(doc).items():
                weights[term][i] = weight
        n = max(len(services), 1)
        self.idf = {t: math.log(1 + n / len(p)) for t, p in weights.items()}
        self.postings = {
            t: (np.fromiter(p.keys(), dtype=np.int32, count=len(p)),
                np.fromiter(p.values(), dtype=np.float32, count=len(p)) * self.idf[t])
            for t, p in weights.items()
        }
        self.vocabulary = self._vocabulary(services)
        self.service_places = [self._service_places(doc) for doc in services]

    def _doc_terms(self, doc: ServiceDoc) -> dict[str, float]:
        terms: dict[str, float] = {}

        def add(text: str | None, weight: float) -> None:
            for word in words(text or ""):
                if word in STOPWORDS or len(word) < 2:
                    continue
                for term in self.morphology.terms(word):
                    if terms.get(term, 0) < weight:
                        terms[term] = weight

        for name in ("name", "alternate_name", "description", "eligibility_description"):
            for text in doc.texts.get(name, {}).values():
                add(text, FIELD_WEIGHTS[name])
        for lang_words in doc.synonyms.values():
            for text in lang_words:
                add(text, FIELD_WEIGHTS["synonyms"])
        for text in doc.organization.values():
            add(text, FIELD_WEIGHTS["organization"])
        for location in doc.locations:
            for text in location.name.values():
                add(text, FIELD_WEIGHTS["locations"])
        for group in doc.target_groups:
            for concept in GROUP_CONCEPTS.get(group, ()):
                terms[concept] = max(terms.get(concept, 0), FIELD_WEIGHTS["concepts"])
        return terms

    def _vocabulary(self, services: list[ServiceDoc]) -> dict[str, list[str]]:
        """Surface words of the catalogue by first letter, for typo correction."""
        seen: set[str] = set()
        for doc in services:
            for texts in (*doc.texts.values(), doc.organization):
                for text in texts.values():
                    seen.update(words(text))
            for lang_words in doc.synonyms.values():
                for text in lang_words:
                    seen.update(words(text))
        buckets: dict[str, list[str]] = defaultdict(list)
        for word in seen:
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
    async with sessions() as session:
        places = (await session.scalars(select(Place))).all()
        organizations = {o.id: o for o in (await session.scalars(select(Organization))).all()}
        services = (await session.scalars(select(Service).order_by(Service.id).options(
            selectinload(Service.service_areas),
            selectinload(Service.at_locations).selectinload(ServiceAtLocation.location).options(
                selectinload(Location.addresses), selectinload(Location.phones)),
        ))).all()
    place_docs = [PlaceDoc(p.id, dict(p.translations.get("name") or {"und": p.name}),
                           p.aliases or {}, p.within_id, p.latitude, p.longitude, p.country)
                  for p in places]
    city_names = {p.id: p.names for p in place_docs}
    docs = []
    for s in services:
        org = organizations.get(s.organization_id)
        docs.append(ServiceDoc(
            id=s.id, name=_texts(s, "name"), organization=_texts(org, "name") if org else {},
            texts={f: _texts(s, f) for f in ("name", "alternate_name", "description",
                                              "eligibility_description")},
            synonyms=s.synonyms or {}, target_groups=s.target_groups or [], category=s.category,
            status=s.status, min_age=s.minimum_age, max_age=s.maximum_age,
            areas=[a.place_id for a in s.service_areas if a.place_id],
            locations=[_location_doc(sal.location, city_names) for sal in s.at_locations if sal.location],
        ))
    return docs, place_docs


def _texts(record, field: str) -> Texts:
    texts = dict((record.translations or {}).get(field) or {})
    if not texts and getattr(record, field, None):
        texts["und"] = getattr(record, field)  # an untranslated HSDS value
    return texts


def _location_doc(loc: Location, city_names: dict[str, Texts]) -> LocationDoc:
    address = loc.addresses[0] if loc.addresses else None
    city = city_names.get(loc.place_id or "", {})
    if not city and address and address.city:
        city = _texts(address, "city")
    return LocationDoc(
        id=loc.id, name=_texts(loc, "name"), place_id=loc.place_id, city=city,
        address=_texts(address, "address_1") if address else {},
        phones=[p.number for p in loc.phones], latitude=loc.latitude, longitude=loc.longitude,
        serves_areas=loc.serves_areas or [], serves_groups=loc.serves_groups or [],
    )


def text_in(texts: Texts, lang: str) -> str | None:
    return pick(texts, lang) or texts.get("und")
