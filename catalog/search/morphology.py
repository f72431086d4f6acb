"""Word → lemma or stem: pymorphy3 for Ukrainian and Russian, BulStem for Bulgarian."""

from functools import lru_cache

import pymorphy3
from bulstem.stem import BulStemmer

LANGUAGES = ("bg", "uk", "ru")


class Morphology:
    """Each analyser maps a word to a term tagged with its language ("uk:догляд").

    A word is analysed in every language, so a question in one language finds texts in the
    other and Russian is understood: the catalogue holds bg and uk texts and ru synonyms."""

    def __init__(self) -> None:
        self._uk = pymorphy3.MorphAnalyzer(lang="uk")
        self._ru = pymorphy3.MorphAnalyzer(lang="ru")
        self._bg = BulStemmer.from_file("stem-context-1", min_freq=2, left_context=1)
        self.term = lru_cache(maxsize=200_000)(self._term)
        self.terms = lru_cache(maxsize=200_000)(self._terms)
        self.dictionary_word = lru_cache(maxsize=100_000)(self._dictionary_word)

    def _term(self, word: str, lang: str) -> str:
        if word.isdigit():
            return word
        if lang == "bg":
            return "bg:" + str(self._bg.stem(word))
        analyzer = self._uk if lang == "uk" else self._ru
        return f"{lang}:" + str(analyzer.parse(word)[0].normal_form).replace("ё", "е")

    def _terms(self, word: str) -> tuple[str, ...]:
        return tuple(self.term(word, lang) for lang in LANGUAGES)

    def _dictionary_word(self, word: str) -> bool:
        """A Ukrainian or Russian dictionary word that is not a place name ("допоможіть")."""
        parses = [parse for analyzer in (self._uk, self._ru) for parse in analyzer.parse(word)[:3]]
        return any(p.is_known for p in parses) and not any("Geox" in p.tag for p in parses)

    def lemma(self, word: str, lang: str) -> str:
        """A Ukrainian or Russian word's dictionary form ("Львові" → "львів")."""
        return self.term(word, lang).partition(":")[2]

    def forms(self, word: str, lang: str) -> set[str]:
        """Every inflected form of a Ukrainian or Russian word (for place names)."""
        analyzer = self._uk if lang == "uk" else self._ru
        return {form.word for parse in analyzer.parse(word)[:2] for form in parse.lexeme}
