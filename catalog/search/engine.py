"""Question → language, intent, and ranked services with their offices."""

import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.gazetteer import Gazetteer, shipped
from catalog.geo import distance_km, valid
from catalog.search import lexicon
from catalog.search.index import MAX_WEIGHT, LocationDoc, SearchIndex, build_index
from catalog.search.language import ANSWER_LANGUAGES, clear_language, detect
from catalog.search.morphology import Morphology
from catalog.search.normalize import MAX_QUESTION, clean, is_latin, to_cyrillic, words
from catalog.search.places import PLACE_MARKERS, Elsewhere, PlaceFinder
from catalog.search.tuning import (
    AGE_MISMATCH_PENALTY,
    BRIDGE_BOOST,
    BRIDGE_CHECK,
    CALIBRATION,
    CONFIDENT,
    DISPLACED_BOOST,
    GROUP_TIE_BREAK,
    GROUP_WORD_SHARE,
    INACTIVE_PENALTY,
    LOCAL_CONFIDENT,
    MAX_WORDS,
    NAMED_PLACE_CONFIDENT,
    NAMED_PLACE_FLOOR,
    NEAR_ENOUGH_KM,
    OLD_AGE,
    OLD_AGE_BONUS,
    OUT_OF_SCOPE_CONFIDENT,
    RELATED_CATEGORIES,
    RELATIVE,
    SHORT_QUESTION_WORDS,
    SHORTLIST,
    SURE,
    WORD_FUZZ_CUTOFF,
    WORD_FUZZ_MIN_LENGTH,
)

Said = Callable[[tuple[str, ...]], bool]  # whether the question says one of these patterns (lexicon.said_in)


@dataclass
class LocationResult:
    """An office of a found service. The engine keeps no texts to show (the directory has them):
    `name`, `city`, `address` and `phones` are filled in where an answer is shown as it is."""

    location_id: str
    latitude: float | None = None
    longitude: float | None = None
    distance_km: float | None = None
    name: str | None = None
    city: str | None = None
    address: str | None = None
    phones: list[str] = field(default_factory=list)


@dataclass
class Result:
    service_id: str
    score: float
    locations: list[LocationResult]
    service: str | None = None  # the names, filled in as the office's texts are
    organization: str | None = None


@dataclass
class Place:
    """A place an answer is about: a catalogue place (`id`), or a town the catalogue does not
    cover, with the nearest covered place and how far it is."""

    names: dict[str, str]
    id: str | None = None
    country: str | None = None
    nearest: str | None = None  # a covered catalogue place
    nearest_km: float | None = None
    key: str | None = None  # what to remember it by: a catalogue place id, or "gz:" and a gazetteer id


@dataclass
class Answer:
    """intent: search, place (the person said only where they are), not_covered (a place the
    catalogue does not cover; `results` are what may still help), out_of_scope (`topic`),
    clarify (a need too vague to search), smalltalk (`topic`: thanks, ok, presence, emoji),
    greeting, handoff, fallback."""

    question: str
    language: str
    intent: str
    results: list[Result] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # where a displaced person comes from
    place_matched: bool = True
    score: float = 0.0  # the best service's match, before calibration
    confidence: float = 0.0  # how likely the first service is right (CALIBRATION)
    sure: bool = True
    topic: str | None = None
    elsewhere: Place | None = None  # a named place the catalogue does not cover
    remembered: bool = False  # the place came from earlier in the conversation, not this question
    age: int | None = None  # of the person in need, said in this question or before
    needs_place: bool = False  # nowhere was named, and the services found are in several places

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Token:
    word: str
    variants: list[str]
    place: str | None = None
    origin: bool = False
    concepts: set[str] = field(default_factory=set)
    elsewhere: Elsewhere | None = None


_CAPITALISED = re.compile(r"(?<=[\s,.;:!?(\"«„'-])[A-ZА-ЯЁІЇЄҐЪ][^\W\d_]+")


_FIRST = re.compile(r"\s*([A-ZА-ЯЁІЇЄҐЪ][^\W\d_]+)")


class AnswerEngine:
    def __init__(self, index: SearchIndex, default_language: str = "bg", gazetteer: Gazetteer | None = None):
        self.index = index
        self.default_language = default_language
        self.morphology = index.morphology
        self.finder = PlaceFinder(index.places, index.served_places, index.morphology, gazetteer)
        self._position = {doc.id: i for i, doc in enumerate(index.services)}
        self._last_tokens: tuple[str | None, list[Token]] = (None, [])
        self._by_place: dict[str, list[int]] = {}  # the services given in each place, for _closest_kind
        for i, (given, _serves) in enumerate(index.service_places):
            for place_id in given:
                self._by_place.setdefault(place_id, []).append(i)

    @classmethod
    async def from_database(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        morphology: Morphology | None = None,
        default_language: str = "bg",
        gazetteer: Gazetteer | None = None,
    ) -> "AnswerEngine":
        return cls(
            await build_index(sessions, morphology or Morphology()),
            default_language,
            shipped() if gazetteer is None else gazetteer,
        )

    # --- understanding -------------------------------------------------------------------

    def find_place(self, word: str) -> str | None:
        return self.finder.catalogue_place(word)

    def clear_language(self, text: str) -> str | None:
        """The language a message is clearly written in, place names left out (see language.py)."""
        return clear_language(
            [t.word for t in self._tokens(text) if t.word and not t.place and not t.elsewhere],
            self.index.language_words,
        )

    def _tokens(self, question: str) -> list[Token]:
        """The words of a question, with the places and groups they name. The conversation asks
        for the language of a message and then answers it: the last question's tokens are kept, so
        they are made once (they are only read after this)."""
        if self._last_tokens[0] == question:
            return self._last_tokens[1]
        tokens = self._read_tokens(question)
        self._last_tokens = (question, tokens)
        return tokens

    def _read_tokens(self, question: str) -> list[Token]:
        tokens = []
        previous = ""
        capitalised = {w.lower(): w for w in _CAPITALISED.findall(question[:MAX_QUESTION])}
        first = _FIRST.match(question)
        if first and not self.morphology.dictionary_word(first.group(1).lower()):
            capitalised[first.group(1).lower()] = first.group(1)  # "Шипка …", but not "Допоможіть …"
        for word in words(question)[:MAX_WORDS]:
            variants = [to_cyrillic(word, "uk"), to_cyrillic(word, "bg"), word] if is_latin(word) else [word]
            token = Token(word, variants)
            if len(word) >= 3 and word not in lexicon.STOPWORDS:
                token.place = next((p for v in variants if (p := self.find_place(v))), None)
                if (
                    token.place is None
                    and not lexicon.concepts_of(word)
                    and not any(lexicon.matches(v, lexicon.COUNTRIES) for v in variants)
                ):
                    marked = (word in capitalised or previous in PLACE_MARKERS) and not self._common(variants)
                    if settlement := self.finder.settlement(variants, marked, self.morphology.dictionary_word(word)):
                        found = self.finder.resolve(settlement)
                        if isinstance(found, str):
                            token.place = found
                        else:
                            token.elsewhere = found
                    elif (
                        word in capitalised
                        and not capitalised[word].isupper()
                        and not self._common(variants)
                        and (
                            previous in lexicon.SETTLEMENT_WORDS
                            or previous in PLACE_MARKERS
                            and not self.morphology.dictionary_word(word)
                        )
                    ):
                        # "с. Брестовица", "в Костенец": a place, though not one the gazetteer has
                        token.elsewhere = Elsewhere({"bg": capitalised[word], "uk": capitalised[word]}, "", None, None)
            token.origin = bool(token.place or token.elsewhere) and previous in lexicon.ORIGIN_WORDS
            for variant in variants:
                token.concepts |= lexicon.concepts_of(variant)
            tokens.append(token)
            previous = variants[0] if is_latin(word) else word
        self._phrases(tokens)
        return tokens

    def _common(self, variants: list[str]) -> bool:
        """A word the catalogue uses for services is a word, not a village (Баня, Дом)."""
        return any(t in self.index.postings for v in variants for t in self.morphology.terms(v))

    def _phrases(self, tokens: list[Token]) -> None:
        """Places of two words ("Стара Загора", "у Білій Церкві") the single words did not find."""
        for first, second in zip(tokens, tokens[1:]):
            if first.place or second.place or len(first.word) < 3 or len(second.word) < 3:
                continue
            settlement = self.finder.settlement_phrase([first.variants[0], second.variants[0]])
            if settlement is None:
                continue
            found = self.finder.resolve(settlement)
            first.elsewhere = second.elsewhere = None
            if isinstance(found, str):
                first.place = found
            else:
                first.elsewhere = found
            second.place, second.concepts = None, set()
            second.word = ""  # the place's second word is not a need

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
                if len(variant) < WORD_FUZZ_MIN_LENGTH or is_latin(variant):
                    continue
                bucket = self.index.vocabulary.get(variant[0], ())
                match = process.extractOne(variant, bucket, scorer=fuzz.ratio, score_cutoff=WORD_FUZZ_CUTOFF)
                if match:
                    terms |= {t for t in self.morphology.terms(match[0]) if t in postings}
                    break
        return sorted(terms | {c for c in token.concepts if c in postings})

    # --- answering -----------------------------------------------------------------------

    def ask(
        self,
        question: str | None,
        lang: str | None = None,
        city: str | None = None,
        top: int = 3,
        near: tuple[float, float] | None = None,
        age: int | None = None,
        moved: bool = False,
    ) -> Answer:
        """`city`: where the person said they are earlier (a catalogue place id or a name); a
        place named in the question wins, unless `moved`: the person named `city` after asking
        this question ("топъл обяд Казанлък", then "Варна"). `age`: of the person in need, said earlier."""
        question = question or ""
        tokens = self._tokens(question)
        language = (
            lang
            if lang in ANSWER_LANGUAGES
            else detect([t.word for t in tokens], self.index.language_words, self._default_for(tokens))
        )
        answer = Answer(question=question, language=language, intent="fallback")
        text = " ".join(v for t in tokens for v in t.variants[:1])
        plain = clean(question)

        variants = [v for t in tokens for v in t.variants]

        def said(patterns: tuple[str, ...]) -> bool:
            return lexicon.said_in(variants, f"{plain} {text}", patterns)

        if (
            said(lexicon.STAFF_WORDS)
            or said(lexicon.CALL_ME)
            or said(lexicon.PERSON_WORDS)
            and said(lexicon.TALK_VERBS)
        ):
            answer.intent = "handoff"
            return answer
        if small := self._small_talk(tokens, plain, said):
            answer.intent, answer.topic = small
            return answer

        places, origins = self._places(tokens, text)
        elsewhere = [t.elsewhere for t in tokens if t.elsewhere and not t.origin]
        if not elsewhere and not places and not origins:  # "я зі Слов'янська, досі тут живу"
            elsewhere = [t.elsewhere for t in tokens if t.elsewhere]
        if moved and city:
            places, elsewhere = set(), []
        if city and (moved or not (places or origins or elsewhere)):
            answer.remembered = True
            if city.startswith("gz:") and (far := self.finder.elsewhere(city[3:])):
                elsewhere.append(far)
            elif remembered := self._remembered(city):
                places.add(remembered)
        for place_id in sorted(places):
            if far := self.finder.known_elsewhere(place_id):  # Sofia: known, but nothing there
                places.discard(place_id)
                elsewhere.append(far)
        answer.places, answer.origins = sorted(places | origins), sorted(origins)
        if elsewhere:
            answer.elsewhere = self._place(elsewhere[0])
        named = [t for t in tokens if t.word and not t.place and not t.elsewhere]
        if (
            (places or origins or elsewhere)
            and not answer.remembered
            and "?" not in question
            and not any(w.word in lexicon.ASKING for w in named)
            and all(
                w.word in lexicon.STOPWORDS
                or w.word in lexicon.PLACE_TALK
                or w.word in lexicon.ORIGIN_WORDS
                or w.word.isdigit()
                for w in named
            )
        ):
            answer.intent = "place"  # "аз съм от Пазарджик": where, not yet what
            return answer

        content = [
            t
            for t in named
            if not t.word.isdigit()
            and len(t.word) >= 2
            and not any(v in lexicon.STOPWORDS or v in lexicon.GREETINGS for v in t.variants)
        ]
        if origins:  # "I'm from Kramatorsk, now in Kyiv": the person is displaced
            content.append(Token("", [], concepts={"c:idp"}))
        topic = self._topic(said)
        lost = lexicon.phrase_in(plain, lexicon.CANNOT_SAY) or lexicon.phrase_in(text, lexicon.CANNOT_SAY)
        # "I need help", with no place named: too general to search (with a place, its services)
        vague = (not (places or origins) or answer.remembered) and all(
            any(lexicon.matches(v, lexicon.VAGUE) for v in t.variants) for t in content if t.word
        )
        answer.age = self._age(tokens) or age
        scores, matched = self._score(content, answer.age)
        if not matched and places | origins and not answer.remembered:
            # "наш краматорськ київ адреса", "куди звернутися": the names are the question
            scores, matched = self._score([t for t in tokens if t.place], None)
            vague = False
        if origins:
            scores[self.index.for_displaced] *= DISPLACED_BOOST
        if not places and not origins:  # nowhere named: the asker's own country first
            scores *= self.index.home_boost[language]
        best = float(scores.max()) if len(scores) else 0.0
        answer.score = round(best, 3) if matched else 0.0
        answer.confidence = calibrated(best) if matched else 0.0
        # A long, spoken question explains itself with many words; fewer of them need to match.
        confident = CONFIDENT * min(1.0, math.sqrt(SHORT_QUESTION_WORDS / max(len(content), 1)))
        if self._around(places | origins) & self.index.served_places:
            confident = min(confident, NAMED_PLACE_CONFIDENT)  # only that place's services compete
        relevant = (
            matched and best >= confident and not vague and not ((topic or lost) and best < OUT_OF_SCOPE_CONFIDENT)
        )

        if topic and not relevant:
            answer.intent, answer.topic = "out_of_scope", topic
            return answer
        if answer.elsewhere and not places:
            answer.intent, answer.place_matched = "not_covered", False
            too_far = answer.elsewhere.nearest_km is None or answer.elsewhere.nearest_km > NEAR_ENOUGH_KM
            nearest = {answer.elsewhere.nearest} if answer.elsewhere.nearest and not too_far else set()
            if relevant and (origins or nearest):  # what may still help: offices for the displaced, or the nearest
                answer.results, _matched = self._results(
                    scores, set() if origins else nearest, origins, top, near, confident
                )
            return answer
        if relevant:
            answer.intent = "search"
            answer.results, answer.place_matched = self._results(scores, places, origins, top, near, confident)
            answer.sure = answer.confidence >= SURE and answer.place_matched
            answer.needs_place = (
                not (places or origins) and len({self._top_place(r.service_id) for r in answer.results}) > 1
            )
            if not answer.sure:
                answer.results = answer.results[:1]  # the closest one, said to be a guess
            if not answer.results:
                answer.intent = "fallback"
        elif topic:
            answer.intent, answer.topic = "out_of_scope", topic
        elif lost or vague:
            answer.intent = "clarify"
        return answer

    def _small_talk(self, tokens: list[Token], plain: str, said: Said) -> tuple[str, str] | None:
        """Thanks, ok, "are you there?", a greeting, an emoji: (intent, topic), or None."""
        words_ = [t for t in tokens if t.word]
        if not words_:
            if not plain.strip():
                return None
            return ("clarify", "") if set(plain.strip()) <= set("?!.,;:-—…¿ ") else ("smalltalk", "emoji")
        if all(t.word.isdigit() or lexicon.matches(t.word, lexicon.NUMBER_WORDS) for t in words_):
            return "clarify", ""  # a number alone means nothing outside a question
        kinds = (("thanks", lexicon.THANKS), ("ok", lexicon.ACKNOWLEDGE))

        def small(t: Token) -> bool:
            return any(
                v in lexicon.GREETINGS
                or v in lexicon.STOPWORDS
                or any(lexicon.matches(v, patterns) for _k, patterns in kinds)
                for v in t.variants
            )

        if said(lexicon.PRESENCE) and len(words_) <= 5:
            return "smalltalk", "presence"
        thanked = any(lexicon.matches(v, lexicon.THANKS) for t in words_ for v in t.variants)
        if (
            thanked
            and "?" not in plain
            and all(small(t) or any(lexicon.matches(v, lexicon.POLITE) for v in t.variants) for t in words_)
        ):
            return "smalltalk", "thanks"  # "дякую вам велике, ви дуже допомогли"
        if not all(small(t) for t in words_):
            return None
        if any(v in lexicon.GREETINGS for t in words_ for v in t.variants):
            return "greeting", ""
        return "smalltalk", "ok"

    def _topic(self, said: Said) -> str | None:
        for topic, patterns in lexicon.OUT_OF_SCOPE_TOPICS.items():
            if said(patterns):
                return topic
        if said(lexicon.PROTECTION) and said(lexicon.PROCEDURE):
            return "asylum"
        return "other" if said(lexicon.OUT_OF_SCOPE) else None

    def _remembered(self, city: str | None) -> str | None:
        if not city:
            return None
        if city in self.index.places:
            return city
        return self.find_place(clean(city).strip()) or next((p for w in words(city) if (p := self.find_place(w))), None)

    def _place(self, where: Elsewhere) -> Place:
        place = Place(
            names=where.names, country=where.country, key=f"gz:{where.settlement}" if where.settlement else where.place
        )
        if (
            where.latitude is not None
            and where.longitude is not None
            and (nearest := self.finder.nearest_served(where.latitude, where.longitude))
        ):
            place.nearest, km = nearest
            place.nearest_km = round(km)
        return place

    def _top_place(self, service_id: str) -> str | None:
        """The broadest place a service is given in (its municipality or hromada)."""
        doc = self.index.services[self._position[service_id]]
        where = [*doc.areas, *(loc.place_id for loc in doc.locations if loc.place_id)]
        return max(
            (
                a
                for p in where
                for a in self.index.ancestors(p)
                if not self.index.places.get(a) or not self.index.places[a].within
            ),
            default=None,
        )

    def place_names(self, place_id: str) -> dict[str, str]:
        place = self.index.places.get(place_id)
        return dict(place.names) if place else {}

    def _default_for(self, tokens: list[Token]) -> str:
        """With no other clue, a question about Ukrainian places is answered in Ukrainian."""
        countries = {self.index.places[t.place].country for t in tokens if t.place}
        if countries == {"UA"}:
            return "uk"
        if countries == {"BG"}:
            return "bg"
        return self.default_language

    def _places(self, tokens: list[Token], text: str) -> tuple[set[str], set[str]]:
        places = {t.place for t in tokens if t.place and not t.origin}
        origins = {t.place for t in tokens if t.place and t.origin}
        for prefix in {t.variants[0][:4] for t in tokens if t.variants}:
            for pattern, place_id in self.finder.phrases.get(prefix, ()):
                if pattern.search(text):
                    places.add(place_id)
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
            denominator += max(map(self.index.postings.idf, candidates)) * MAX_WEIGHT * share
        if age is not None and age >= OLD_AGE and "c:old" in self.index.postings:
            docs, weights = self.index.postings["c:old"]
            total[docs] += weights * OLD_AGE_BONUS
        if not matched:
            return total, False
        scores = total / denominator
        scores[self.index.inactive] *= INACTIVE_PENALTY
        if age is not None:
            scores[(self.index.min_age > age) | (self.index.max_age < age)] *= AGE_MISMATCH_PENALTY
        return scores, True

    def _strongest(self, terms: list[str]) -> np.ndarray:
        """Each service's best weight among the terms."""
        out = np.zeros(len(self.index.services), dtype=np.float32)
        for term in terms:
            np.maximum.at(out, *self.index.postings[term])  # unbuffered, and faster than out[docs] = ...
        return out

    def _results(
        self,
        scores: np.ndarray,
        places: set[str],
        origins: set[str],
        top: int,
        near: tuple[float, float] | None,
        confident: float,
    ) -> tuple[list[Result], bool]:
        above = np.nonzero(scores >= NAMED_PLACE_FLOOR)[0]
        if len(above) > SHORTLIST:
            above = above[np.argpartition(-scores[above], SHORTLIST)[:SHORTLIST]]
        candidates = above.tolist()
        place_matched, bar = True, confident
        for area, serving in self._areas(places, origins):

            def inside(i: int) -> bool:
                given, serves = self.index.service_places[i]
                return bool(given & area or serving and serves & area)  # noqa: B023 (used at once)

            local = {i for i in candidates if inside(i)}
            place_matched = bool(local)
            if place_matched:
                bar, candidates = NAMED_PLACE_FLOOR, sorted(local)
                break
        named = self._around(places | origins)
        if not place_matched:
            if named & self.index.served_places:  # another town's service is no answer there
                closest = self._closest_kind(scores, candidates, named)
                return [self._result(i, float(scores[i]), places, origins, near) for i in closest], False
            candidates = [i for i in candidates if scores[i] >= LOCAL_CONFIDENT]
        order = np.sort(np.array(candidates, dtype=np.int64))  # services are in id order: ties stay so
        ranked = order[np.argsort(-scores[order], kind="stable")][:BRIDGE_CHECK].tolist()
        for i in ranked if named else ():  # an office in one named place that serves another
            if any(
                self.index.ancestors(loc.place_id) & named and set(loc.serves_areas) & named
                for loc in self.index.services[i].locations
            ):  # ("терцентр Краматорська в Києві")
                scores[i] *= BRIDGE_BOOST
        ranked.sort(key=lambda i: -scores[i])
        floor = max(bar, scores[ranked[0]] * RELATIVE) if ranked else bar
        chosen = [i for i in ranked if scores[i] >= floor][: max(top, 0)]
        return [self._result(i, float(scores[i]), places, origins, near) for i in chosen], place_matched

    def _closest_kind(self, scores: np.ndarray, candidates: list[int], named: set[str]) -> list[int]:
        """In a place with nothing that matches: its service of the kind of help that matched best
        elsewhere, or of a related kind, or its information office."""
        if not candidates:
            return []
        best = self.index.services[max(candidates, key=lambda i: scores[i])].category
        local = sorted({i for place_id in named for i in self._by_place.get(place_id, ())})
        # Last, the place's information office: where to ask about what there is.
        for kind in (best, *RELATED_CATEGORIES.get(best or "", ()), "information"):
            for i in local:
                if self.index.services[i].category == kind and self.index.services[i].status == "active":
                    return [i]
        return []

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

    def _result(
        self, i: int, score: float, places: set[str], origins: set[str], near: tuple[float, float] | None
    ) -> Result:
        doc = self.index.services[i]
        here, there = self._around(places), self._around(origins)

        distances = {loc.id: _distance(near, loc, self.index) for loc in doc.locations}

        def order(loc: LocationDoc) -> tuple[bool, bool, float, str]:
            in_place = bool(self.index.ancestors(loc.place_id) & here)
            serves = bool(set(loc.serves_areas) & (there | here))
            return (not in_place, not serves, distances[loc.id] or 0.0, loc.id)

        locations = [
            LocationResult(
                location_id=loc.id,
                latitude=loc.latitude,
                longitude=loc.longitude,
                distance_km=_round(distances[loc.id]),
            )
            for loc in sorted(doc.locations, key=order)
        ]
        return Result(
            service_id=doc.id,
            score=round(min(score, 1.0), 3),
            locations=locations,
        )


def calibrated(score: float) -> float:
    """How likely the first service is the right one, from the score (CALIBRATION)."""
    return float(np.interp(score, [x for x, _y in CALIBRATION], [y for _x, y in CALIBRATION]))


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
