"""Question → language, intent, and ranked services with their offices."""

import math
import re
from dataclasses import asdict, dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy.ext.asyncio import async_sessionmaker

from catalog.search import lexicon
from catalog.search.index import MAX_WEIGHT, LocationDoc, SearchIndex, build_index
from catalog.search.language import ANSWER_LANGUAGES, detect
from catalog.search.morphology import Morphology
from catalog.search.normalize import clean, is_latin, to_cyrillic, words
from catalog.geo import distance_km, valid
from catalog.texts import pick

CONFIDENT = 0.34  # below this a match is not an answer
OUT_OF_SCOPE_CONFIDENT = 0.8  # an off-topic word needs a stronger match
RELATIVE = 0.45  # results weaker than this share of the best one are dropped
SHORTLIST = 300  # the best matches that are ranked by place
BRIDGE_CHECK = 30  # the best of those checked for offices serving another named place
LOCAL_CONFIDENT = 0.2  # the weakest match shown at all
NAMED_PLACE_FLOOR = 0.12  # in the place the person named, weaker matches still count
NAMED_PLACE_CONFIDENT = 0.15  # and a question about a place the catalogue knows needs less
GROUP_WORD_SHARE = 0.6  # how much a word for who the person is counts against a word for a need
GROUP_TIE_BREAK = 0.2  # bonus for a service meant for the group a word names


@dataclass
class LocationResult:
    location_id: str
    name: str | None
    city: str | None
    address: str | None
    phones: list[str]
    latitude: float | None = None
    longitude: float | None = None
    distance_km: float | None = None


@dataclass
class Result:
    service_id: str
    service: str | None
    organization: str | None
    score: float
    locations: list[LocationResult]


@dataclass
class Answer:
    question: str
    language: str
    intent: str
    results: list[Result] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    place_matched: bool = True

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Token:
    word: str
    variants: list[str]
    place: str | None = None
    origin: bool = False
    concepts: set[str] = field(default_factory=set)


class AnswerEngine:
    def __init__(self, index: SearchIndex, default_language: str = "bg"):
        self.index = index
        self.default_language = default_language
        self.morphology = index.morphology
        self.place_forms, self.place_phrases = self._place_forms()
        self.place_buckets: dict[str, list[str]] = {}
        for form in self.place_forms:
            self.place_buckets.setdefault(form[:1], []).append(form)

    @classmethod
    async def from_database(cls, sessions: async_sessionmaker, morphology: Morphology | None = None,
                            default_language: str = "bg") -> "AnswerEngine":
        return cls(await build_index(sessions, morphology or Morphology()), default_language)

    # --- understanding -------------------------------------------------------------------

    def _place_forms(self) -> tuple[dict[str, str], dict[str, list[tuple[re.Pattern, str]]]]:
        """Single-word place names in every form, and multi-word names as patterns,
        filed under the first four letters of their first word."""
        forms: dict[str, str] = {}
        phrases: dict[str, list[tuple[re.Pattern, str]]] = {}
        for place in self.index.places.values():
            names = list(place.names.values()) + [a for v in place.aliases.values() for a in v]
            for name in names:
                parts = words(name)
                if len(parts) > 1:
                    stems = [re.escape(p[:max(4, len(p) - 2)]) + r"\w*" for p in parts]
                    phrases.setdefault(parts[0][:4], []).append(
                        (re.compile(r"\b" + r"\s+".join(stems)), place.id))
                    continue
                if not parts:
                    continue
                word = parts[0]
                found = {word, word + "а", word + "ът", word + "я"}
                if not is_latin(word):
                    found |= self.morphology.forms(word, "uk") | self.morphology.forms(word, "ru")
                for form in found:
                    forms.setdefault(form, place.id)
        return forms, phrases

    def find_place(self, word: str) -> str | None:
        if word in self.place_forms:
            return self.place_forms[word]
        if len(word) >= 5:
            match = process.extractOne(word, self.place_buckets.get(word[:1], ()), scorer=fuzz.ratio,
                                       score_cutoff=86)
            if match:
                return self.place_forms[match[0]]
        return None

    def _tokens(self, question: str) -> list[Token]:
        tokens = []
        previous = ""
        for word in words(question)[:200]:
            variants = [to_cyrillic(word, "uk"), to_cyrillic(word, "bg"), word] if is_latin(word) else [word]
            token = Token(word, variants)
            if len(word) >= 3 and word not in lexicon.STOPWORDS:
                token.place = next((p for v in variants if (p := self.find_place(v))), None)
            token.origin = bool(token.place) and previous in lexicon.ORIGIN_WORDS
            for variant in variants:
                token.concepts |= lexicon.concepts_of(variant)
            tokens.append(token)
            previous = variants[0] if is_latin(word) else word
        return tokens

    def _age(self, tokens: list[Token]) -> int | None:
        for i, token in enumerate(tokens):
            if token.word.isdigit() and 0 < int(token.word) < 120:
                after = tokens[i + 1].variants if i + 1 < len(tokens) else []
                if any(lexicon.matches(v, lexicon.AGE_WORDS) for v in after):
                    return int(token.word)
        return None

    def _candidates(self, token: Token) -> list[str]:
        postings = self.index.postings
        terms = {t for v in token.variants for t in self.morphology.terms(v) if t in postings}
        if not terms:
            for variant in token.variants:
                if len(variant) < 4 or is_latin(variant):
                    continue
                bucket = self.index.vocabulary.get(variant[0], ())
                match = process.extractOne(variant, bucket, scorer=fuzz.ratio, score_cutoff=80)
                if match:
                    terms |= {t for t in self.morphology.terms(match[0]) if t in postings}
                    break
        return sorted(terms | {c for c in token.concepts if c in postings})

    # --- answering -----------------------------------------------------------------------

    def ask(self, question: str | None, lang: str | None = None, city: str | None = None,
            top: int = 3, near: tuple[float, float] | None = None) -> Answer:
        question = question or ""
        tokens = self._tokens(question)
        language = lang if lang in ANSWER_LANGUAGES else detect(
            [t.word for t in tokens], self.index.language_words, self._default_for(tokens))
        answer = Answer(question=question, language=language, intent="fallback")
        text = " ".join(v for t in tokens for v in t.variants[:1])
        plain = clean(question)

        variants = [v for t in tokens for v in t.variants]
        def said(patterns: tuple[str, ...]) -> bool:
            return lexicon.said_in(variants, f"{plain} {text}", patterns)

        if said(lexicon.STAFF_WORDS) or said(lexicon.CALL_ME) or \
                said(lexicon.PERSON_WORDS) and said(lexicon.TALK_VERBS):
            answer.intent = "handoff"
            return answer
        content = [t for t in tokens if not t.place and t.word not in lexicon.STOPWORDS
                   and not t.word.isdigit() and len(t.word) >= 2]
        if any(v in lexicon.GREETINGS for t in tokens for v in t.variants) and all(
                any(v in lexicon.GREETINGS or v in lexicon.STOPWORDS for v in t.variants) for t in tokens):
            answer.intent = "greeting"
            return answer

        places, origins = self._places(tokens, text, city)
        answer.places = sorted(places | origins)
        if origins:  # "I'm from Kramatorsk, now in Kyiv": the person is displaced
            content.append(Token("", [], concepts={"c:idp"}))
        scores, matched = self._score(content, self._age(tokens))
        if not matched and places | origins:  # "наш краматорськ київ адреса": the names are the question
            content = [t for t in tokens if t.place]
            scores, matched = self._score(content, None)
        if origins:
            scores[self.index.for_displaced] *= 1.2
        if not places and not origins:  # nowhere named: the asker's own country first
            scores *= self.index.home_boost[language]
        best = float(scores.max()) if len(scores) else 0.0
        # A long, spoken question explains itself with many words; fewer of them need to match.
        confident = CONFIDENT * min(1.0, math.sqrt(3 / max(len(content), 1)))
        if self._around(places | origins) & self.index.served_places:
            confident = min(confident, NAMED_PLACE_CONFIDENT)  # only that place's services compete
        off_topic = said(lexicon.OUT_OF_SCOPE)
        lost = lexicon.phrase_in(plain, lexicon.CANNOT_SAY) or lexicon.phrase_in(text, lexicon.CANNOT_SAY)
        if matched and best >= confident and not ((off_topic or lost) and best < OUT_OF_SCOPE_CONFIDENT):
            answer.intent = "search"
            answer.results, answer.place_matched = self._results(
                scores, places, origins, language, top, near, confident)
            if not answer.results:
                answer.intent = "fallback"
        elif lost:
            answer.intent = "handoff"
        return answer

    def _default_for(self, tokens: list[Token]) -> str:
        """With no other clue, a question about Ukrainian places is answered in Ukrainian."""
        countries = {self.index.places[t.place].country for t in tokens if t.place}
        if countries == {"UA"}:
            return "uk"
        if countries == {"BG"}:
            return "bg"
        return self.default_language

    def _places(self, tokens: list[Token], text: str, city: str | None) -> tuple[set[str], set[str]]:
        places = {t.place for t in tokens if t.place and not t.origin}
        origins = {t.place for t in tokens if t.place and t.origin}
        for prefix in {t.variants[0][:4] for t in tokens}:
            for pattern, place_id in self.place_phrases.get(prefix, ()):
                if pattern.search(text):
                    places.add(place_id)
        if city:
            found = self.find_place(clean(city).strip()) or next(
                (p for w in words(city) if (p := self.find_place(w))), None)
            if found:
                places.add(found)
        return places - origins, origins

    def _score(self, content: list[Token], age: int | None) -> tuple[np.ndarray, bool]:
        n = len(self.index.services)
        total = np.zeros(n, dtype=np.float32)
        denominator = 0.0
        matched = False
        for token in content:
            candidates = self._candidates(token)
            if not candidates:
                continue
            matched = True
            best = self._strongest([t for t in candidates if not t.startswith("c:")])
            if groups := [t for t in candidates if t.startswith("c:")]:
                group = self._strongest(groups)
                # A service for the group the word names wins a tie ("дете с увреждане").
                best = np.maximum(best, group) + GROUP_TIE_BREAK * group
            # Who the person is ("бежанци", "пенсіонер") counts less than what they need.
            share = GROUP_WORD_SHARE if token.concepts and token.concepts <= lexicon.WHO_CONCEPTS else 1.0
            total += best * share
            denominator += max(self.index.idf[t] for t in candidates) * MAX_WEIGHT * share
        if age is not None and age >= 60 and "c:old" in self.index.postings:
            docs, weights = self.index.postings["c:old"]
            total[docs] += weights * 0.5
        if not matched:
            return total, False
        scores = total / denominator
        scores[self.index.inactive] *= 0.8
        if age is not None:
            scores[(self.index.min_age > age) | (self.index.max_age < age)] *= 0.5
        return scores, True

    def _strongest(self, terms: list[str]) -> np.ndarray:
        """Each service's best weight among the terms."""
        out = np.zeros(len(self.index.services), dtype=np.float32)
        for term in terms:
            np.maximum.at(out, *self.index.postings[term])  # unbuffered, and faster than out[docs] = ...
        return out

    def _results(self, scores: np.ndarray, places: set[str], origins: set[str], lang: str,
                 top: int, near: tuple[float, float] | None, confident: float) -> tuple[list[Result], bool]:
        above = np.nonzero(scores >= NAMED_PLACE_FLOOR)[0]
        if len(above) > SHORTLIST:
            above = above[np.argpartition(-scores[above], SHORTLIST)[:SHORTLIST]]
        candidates = above.tolist()
        place_matched, bar = True, confident
        for area, serving in self._areas(places, origins):
            def inside(i: int) -> bool:
                given, serves = self.index.service_places[i]
                return bool(given & area or serving and serves & area)
            local = {i for i in candidates if inside(i)}
            place_matched = bool(local)
            if place_matched:
                bar, candidates = NAMED_PLACE_FLOOR, sorted(local)
                break
        named = self._around(places | origins)
        if not place_matched:
            if named & self.index.served_places:
                return [], False  # the catalogue knows that place: another town's service is no answer
            candidates = [i for i in candidates if scores[i] >= LOCAL_CONFIDENT]
        order = np.sort(np.array(candidates, dtype=np.int64))  # services are in id order: ties stay so
        ranked = order[np.argsort(-scores[order], kind="stable")][:BRIDGE_CHECK].tolist()
        for i in ranked if named else ():  # an office in one named place that serves another
            if any(self.index.ancestors(loc.place_id) & named and set(loc.serves_areas) & named
                   for loc in self.index.services[i].locations):  # ("терцентр Краматорська в Києві")
                scores[i] *= 1.2
        ranked.sort(key=lambda i: -scores[i])
        floor = max(bar, scores[ranked[0]] * RELATIVE) if ranked else bar
        chosen = [i for i in ranked if scores[i] >= floor][:max(top, 0)]
        return [self._result(i, float(scores[i]), lang, places, origins, near) for i in chosen], place_matched

    def _around(self, ids: set[str]) -> set[str]:
        return set().union(*(self.index.ancestors(p) for p in ids)) if ids else set()

    def _areas(self, places: set[str], origins: set[str]) -> list[tuple[set[str], bool]]:
        """Where to look, best first: where the person is now (offices there), then anywhere
        they named, counting offices that serve people from there."""
        around = self._around
        areas = []
        if places and origins:
            areas.append((around(places), False))
        if places | origins:
            areas.append((around(places | origins), True))
        return areas

    def _result(self, i: int, score: float, lang: str, places: set[str], origins: set[str],
                near: tuple[float, float] | None) -> Result:
        doc = self.index.services[i]
        here, there = self._around(places), self._around(origins)

        distances = {loc.id: _distance(near, loc, self.index) for loc in doc.locations}

        def order(loc: LocationDoc) -> tuple:
            in_place = bool(self.index.ancestors(loc.place_id) & here)
            serves = bool(set(loc.serves_areas) & (there | here))
            return (not in_place, not serves, distances[loc.id] or 0.0, loc.id)

        locations = [
            LocationResult(
                location_id=loc.id, name=pick(loc.name, lang), city=pick(loc.city, lang),
                address=pick(loc.address, lang), phones=loc.phones,
                latitude=loc.latitude, longitude=loc.longitude,
                distance_km=_round(distances[loc.id]),
            )
            for loc in sorted(doc.locations, key=order)
        ]
        return Result(service_id=doc.id, service=pick(doc.name, lang),
                      organization=pick(doc.organization, lang), score=round(min(score, 1.0), 3),
                      locations=locations)


def _distance(near: tuple[float, float] | None, loc: LocationDoc, index: SearchIndex) -> float | None:
    """Great-circle distance in km to the office, or to its town centre when its own
    coordinates are unknown (coordinates out of range are ignored)."""
    if not near:
        return None
    lat, lon = loc.latitude, loc.longitude
    if not valid(lat, lon):
        place = index.places.get(loc.place_id or "")
        lat, lon = (place.latitude, place.longitude) if place else (None, None)
    if lat is None or lon is None:
        return None
    return distance_km(near[0], near[1], lat, lon)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
