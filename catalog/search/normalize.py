"""Cleaning and tokenising what people type: any case, Latin or Cyrillic, emoji, typos."""

import re
import unicodedata
from functools import lru_cache

MAX_QUESTION = 2000  # characters looked at; the rest of a 10,000-character paste is noise

_APOSTROPHES = re.compile("[’ʼ`´‘]")  # str.translate is ten times slower on Cyrillic text
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+", re.UNICODE)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[a-z]")

# Latin → Cyrillic as people type it in chats. cyrtranslit reverses the official schemes
# letter by letter and turns "kh", "zh", "ch" into two letters, so the digraphs are ours.
_LATIN_RULES = {
    "uk": [
        ("shch", "щ"),
        ("zh", "ж"),
        ("kh", "х"),
        ("ts", "ц"),
        ("ch", "ч"),
        ("sh", "ш"),
        ("yu", "ю"),
        ("ya", "я"),
        ("ye", "є"),
        ("iu", "ю"),
        ("ia", "я"),
        ("ie", "є"),
        ("a", "а"),
        ("b", "б"),
        ("v", "в"),
        ("h", "г"),
        ("g", "г"),
        ("d", "д"),
        ("e", "е"),
        ("z", "з"),
        ("y", "и"),
        ("i", "і"),
        ("j", "й"),
        ("k", "к"),
        ("l", "л"),
        ("m", "м"),
        ("n", "н"),
        ("o", "о"),
        ("p", "п"),
        ("r", "р"),
        ("s", "с"),
        ("t", "т"),
        ("u", "у"),
        ("f", "ф"),
        ("c", "ц"),
        ("w", "в"),
        ("x", "кс"),
        ("q", "я"),
        ("'", ""),
    ],
    "bg": [
        ("sht", "щ"),
        ("zh", "ж"),
        ("kh", "х"),
        ("ts", "ц"),
        ("ch", "ч"),
        ("sh", "ш"),
        ("yu", "ю"),
        ("ya", "я"),
        ("ia", "я"),
        ("iu", "ю"),
        ("a", "а"),
        ("b", "б"),
        ("v", "в"),
        ("g", "г"),
        ("d", "д"),
        ("e", "е"),
        ("z", "з"),
        ("i", "и"),
        ("y", "ъ"),
        ("j", "й"),
        ("k", "к"),
        ("l", "л"),
        ("m", "м"),
        ("n", "н"),
        ("o", "о"),
        ("p", "п"),
        ("r", "р"),
        ("s", "с"),
        ("t", "т"),
        ("u", "у"),
        ("f", "ф"),
        ("h", "х"),
        ("c", "ц"),
        ("w", "в"),
        ("x", "кс"),
        ("q", "я"),
        ("4", "ч"),
        ("6", "ш"),
        ("'", ""),
    ],
}


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


@lru_cache(maxsize=50_000)
def to_cyrillic(word: str, lang: str) -> str:
    out, i = [], 0
    rules = _LATIN_RULES[lang]
    while i < len(word):
        for latin, cyrillic in rules:
            if word.startswith(latin, i):
                out.append(cyrillic)
                i += len(latin)
                break
        else:
            out.append(word[i])
            i += 1
    return "".join(out)
