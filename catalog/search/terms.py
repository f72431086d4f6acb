"""A service's texts as the index keeps them: its terms by field and its words by language.

They are worked out when the catalogue is loaded and stored beside it (`ServiceTerms`, as
arrays of numbers from `Term`), so that start-up reads them instead of analysing every text
again. `analysis_version()` names the analysis that made them: stored terms of another one are stale."""

import hashlib
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import Service, ServiceTerms, Term
from catalog.search import lexicon, morphology, normalize
from catalog.search.lexicon import STOPWORDS
from catalog.search.morphology import LANGUAGES, Morphology
from catalog.search.normalize import tokens
from catalog.texts import Texts, local_texts

TEXT_FIELDS = ("name", "alternate_name", "description", "eligibility_description")
FIELDS = (*TEXT_FIELDS, "synonyms", "synonym_phrases", "organization", "concepts")  # 3 bits
WORD_LANGUAGES = (*LANGUAGES, "und")  # 2 bits
ENTRY = np.dtype("<i4")  # stored little-endian on every machine
_NONE = np.empty(0, dtype=ENTRY)


@cache
def analysis_version() -> str:
    """The analysis's code and the versions of the dictionaries and stemmer it uses, hashed."""
    code = [Path(str(m.__file__)).read_bytes() for m in (morphology, normalize, lexicon)] + [
        Path(__file__).read_bytes()
    ]
    packages = [
        metadata.version(d).encode() for d in ("pymorphy3", "pymorphy3-dicts-uk", "pymorphy3-dicts-ru", "bulstem")
    ]
    return hashlib.sha1(b"".join(code + packages)).hexdigest()[:16]


def __getattr__(name: str) -> str:
    if name == "VERSION":  # `from catalog.search.terms import VERSION`, worked out when first asked for
        return analysis_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Numbers(dict[str, int]):
    """Term or word → its number, numbering new ones as they come."""

    def __missing__(self, text: str) -> int:
        self[text] = number = len(self)
        return number


class Analyser:
    """Texts → arrays of entries: term number << 3 | field, and word number << 2 | language."""

    def __init__(self, morphology: Morphology, numbers: Numbers):
        self.morphology, self.numbers = morphology, numbers
        # Catalogues repeat texts (boilerplate, synonyms, organisation names).
        self.analyse = lru_cache(maxsize=4096)(self._analyse)
        self._synonyms = lru_cache(maxsize=5_000)(self._synonyms_of)
        self._word_terms = {lang: _WordTerms(self, lang) for lang in (*LANGUAGES, "und")}

    def service(self, texts: dict[str, Texts], synonyms: dict[str, list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """The terms of a service by field, and its words by language (for typo correction and
        language votes). A term may come more than once."""
        found = [self.analyse(text, lang, field) for field, by_lang in texts.items() for lang, text in by_lang.items()]
        found += [self._synonyms(tuple(phrases), lang) for lang, phrases in synonyms.items()]
        return (
            np.concatenate([_NONE, *(terms for terms, _ in found)]),
            np.concatenate([_NONE, *(words for _, words in found)]),
        )

    def _analyse(self, text: str, lang: str, field: str) -> tuple[np.ndarray, np.ndarray]:
        """A text's terms in its own language (in all three for an unknown one; questions are
        analysed in all three), and its words."""
        if lang == "en":
            return _NONE, _NONE  # questions come in bg, uk or ru; Latin ones are transliterated
        lang = lang if lang in LANGUAGES else "und"
        found = set(tokens(text))
        terms = set().union(*map(self._word_terms[lang].__getitem__, found))
        return (
            np.fromiter(terms, dtype=ENTRY, count=len(terms)) << 3 | FIELDS.index(field),
            self._numbers(found) << 2 | WORD_LANGUAGES.index(lang),
        )

    def terms(self, found: set[str], field: str) -> np.ndarray:
        return self._numbers(found) << 3 | FIELDS.index(field)

    def _numbers(self, found: set[str]) -> np.ndarray:
        return np.fromiter(map(self.numbers.__getitem__, found), dtype=ENTRY, count=len(found))

    def _synonyms_of(self, phrases: tuple[str, ...], lang: str) -> tuple[np.ndarray, np.ndarray]:
        """One-word synonyms, and phrases (which count less)."""
        words = self.analyse(" ; ".join(t for t in phrases if " " not in t.strip()), lang, "synonyms")
        more = self.analyse(" ; ".join(t for t in phrases if " " in t.strip()), lang, "synonym_phrases")
        return np.concatenate([words[0], more[0]]), np.concatenate([words[1], more[1]])


class _WordTerms(dict[str, set[int]]):
    """Word → the numbers of its terms in one language (in all three for an unknown one)."""

    def __init__(self, analyser: Analyser, lang: str):
        super().__init__()
        self.analyser, self.langs = analyser, (lang,) if lang in LANGUAGES else LANGUAGES

    def __missing__(self, word: str) -> set[int]:
        term, number = self.analyser.morphology.term, self.analyser.numbers
        self[word] = found = (
            set() if len(word) < 2 or word in STOPWORDS else {number[term(word, lang)] for lang in self.langs}
        )
        return found


async def numbers(session: AsyncSession) -> Numbers:
    return Numbers((await session.execute(select(Term.text, Term.id).order_by(Term.id))).all())


async def analysed(
    session: AsyncSession, analyser: Analyser, ids: list[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Terms and words of the given services, from their texts."""
    out = {}
    for start in range(0, len(ids), 500):
        for s in await session.execute(
            select(
                Service.id, Service.translations, Service.synonyms, *(getattr(Service, f) for f in TEXT_FIELDS)
            ).where(Service.id.in_(ids[start : start + 500]))
        ):
            texts = {f: local_texts(s.translations, f, getattr(s, f)) for f in TEXT_FIELDS}
            out[s.id] = analyser.service(texts, s.synonyms or {})
    return out


async def store_terms(session: AsyncSession) -> None:
    """Store the terms of every service that has none, or stale ones. (A load first deletes
    those of the services it replaces.)"""
    version = analysis_version()
    await session.execute(delete(ServiceTerms).where(ServiceTerms.version != version))
    ids = list(
        (
            await session.scalars(
                select(Service.id)
                .outerjoin(ServiceTerms, ServiceTerms.service_id == Service.id)
                .where(ServiceTerms.service_id.is_(None))
            )
        ).all()
    )
    analyser = Analyser(Morphology(), await numbers(session))
    count = len(analyser.numbers)
    found = await analysed(session, analyser, ids)
    new = [{"id": number, "text": text} for text, number in analyser.numbers.items() if number >= count]
    rows = [
        {
            "service_id": id,
            "version": version,
            "numbered": len(analyser.numbers),
            "terms": np.unique(terms).tobytes(),
            "words": np.unique(words).tobytes(),
        }
        for id, (terms, words) in found.items()
    ]
    for start in range(0, len(new), 1000):
        await session.execute(insert(Term), new[start : start + 1000])
    for start in range(0, len(rows), 1000):
        await session.execute(insert(ServiceTerms), rows[start : start + 1000])
