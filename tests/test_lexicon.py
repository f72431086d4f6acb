"""The engine's word lists: a Latin letter inside a Cyrillic word (or the reverse) looks right
and never matches anything people type."""

import re

from catalog.search import lexicon

LATIN, CYRILLIC = re.compile(r"[a-zA-Z]"), re.compile(r"[\u0400-\u04FF]")


def words(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [w for k, v in value.items() for w in words(k) + words(v)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [w for item in value for w in words(item)]
    return []


def test_no_lexicon_word_mixes_latin_and_cyrillic_letters():
    listed = [w for name, value in vars(lexicon).items() if name.isupper() for w in words(value)]
    assert len(listed) > 1000
    assert [w for w in listed if LATIN.search(w) and CYRILLIC.search(w)] == []
