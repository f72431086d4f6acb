"""Latin letters typed for Cyrillic words, read back as Cyrillic: by the search (a question typed
in Latin) and by the gazetteer's build (place names spelled in Latin)."""

from functools import lru_cache

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
