"""Cleaning and tokenising what people type: any case, Latin or Cyrillic, emoji, typos."""

import re
import unicodedata
from functools import lru_cache

from catalog.translit import to_cyrillic as to_cyrillic  # the search reads Latin typing with it

MAX_QUESTION = 2000  # characters looked at; the rest of a 10,000-character paste is noise

_APOSTROPHES = re.compile("[’ʼ`´‘]")  # str.translate is ten times slower on Cyrillic text
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+", re.UNICODE)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[a-z]")


def clean(text: str) -> str:
    """Lower case, one kind of apostrophe, no control characters, bounded length."""
    text = _CONTROL.sub(" ", text[:MAX_QUESTION])
    return _APOSTROPHES.sub("'", unicodedata.normalize("NFC", text)).lower()


def tokens(text: str) -> list[str]:
    return _WORD.findall(clean(text))  # a word neither starts nor ends with an apostrophe


@lru_cache(maxsize=8192)
def words(text: str) -> tuple[str, ...]:
    return tuple(tokens(text))


def is_latin(word: str) -> bool:
    return bool(_LATIN.search(word)) and not _CYRILLIC.search(word)
