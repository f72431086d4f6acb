"""Which language to answer in: bg or uk.

Script rules first (і ї є ґ are Ukrainian, ъ is Bulgarian, ы э ё Russian), then the
function words people use, then which language's catalogue words the question uses.
Russian questions are answered in Ukrainian: in Opora they come from displaced Ukrainians.
"""

from catalog.search.normalize import is_latin, to_cyrillic
from catalog.search.tuning import CLEAR_MARGIN, CLEAR_WORDS

ANSWER_LANGUAGES = ("bg", "uk")
_UK_LETTERS, _RU_LETTERS = set("іїєґ"), set("ыэё")
_FUNCTION_WORDS = {
    "bg": {
        "какво",
        "къде",
        "кой",
        "коя",
        "кои",
        "искам",
        "има",
        "няма",
        "може",
        "ли",
        "трябва",
        "ще",
        "съм",
        "е",
        "сме",
        "сте",
        "са",
        "за",
        "моята",
        "моят",
        "баба",
        "дядо",
        "нашата",
        "търся",
        "здравей",
        "здрасти",
        "благодаря",
        "моля",
        "някой",
        "как",
        "кога",
        "защо",
        "вкъщи",
        "мога",
        "детето",
        "децата",
    },
    "uk": {
        "що",
        "де",
        "як",
        "чи",
        "мені",
        "мене",
        "хочу",
        "потрібно",
        "потрібна",
        "є",
        "можна",
        "будь",
        "ласка",
        "та",
        "й",
        "хто",
        "який",
        "яка",
        "які",
        "куди",
        "привіт",
        "дякую",
        "мамі",
        "тато",
        "бабуся",
        "дитина",
        "вдома",
        "шукаю",
        "звернутися",
        "отримати",
        "оформити",
        "нам",
        "наш",
        "наша",
        "тепер",
        "зараз",
        "доброго",
        "ранку",
        "вечора",
        "для",
    },
    "ru": {
        "что",
        "где",
        "как",
        "мне",
        "меня",
        "нужно",
        "нужна",
        "можно",
        "пожалуйста",
        "кто",
        "какой",
        "какая",
        "куда",
        "спасибо",
        "сейчас",
        "теперь",
        "получить",
        "оформить",
        "ищу",
        "здравствуйте",
        "привет",
        "помогите",
        "для",
    },
}


def detect(tokens: list[str], catalogue_words: dict[str, set[str]], default: str) -> str:
    votes = _votes(tokens, catalogue_words)
    if votes["ru"] > max(votes["bg"], votes["uk"]):
        return "uk"
    if votes["bg"] == votes["uk"]:
        return default
    return "bg" if votes["bg"] > votes["uk"] else "uk"


def clear_language(tokens: list[str], catalogue_words: dict[str, set[str]]) -> str | None:
    """The language a whole message is clearly written in, or None: never from one word, a
    number, an emoji or a name. Russian counts as Ukrainian (see the module's docstring)."""
    if len([t for t in tokens if not t.isdigit() and len(t) > 1]) < CLEAR_WORDS:
        return None
    votes = _votes(tokens, catalogue_words)
    uk = max(votes["uk"], votes["ru"])
    if uk >= votes["bg"] + CLEAR_MARGIN:
        return "uk"
    if votes["bg"] >= uk + CLEAR_MARGIN:
        return "bg"
    return None


def _votes(tokens: list[str], catalogue_words: dict[str, set[str]]) -> dict[str, float]:
    votes = {"bg": 0.0, "uk": 0.0, "ru": 0.0}
    for token in tokens:
        variants = (
            {lang: to_cyrillic(token, lang if lang != "ru" else "uk") for lang in votes}
            if is_latin(token)
            else dict.fromkeys(votes, token)
        )
        letters = set(token)
        if letters & _UK_LETTERS:
            votes["uk"] += 2
        if "ъ" in token[:-1] or token.endswith("ът"):
            votes["bg"] += 2
        if letters & _RU_LETTERS:
            votes["ru"] += 2
        for lang in votes:
            if variants[lang] in _FUNCTION_WORDS[lang]:
                votes[lang] += 1
        for lang in ANSWER_LANGUAGES:
            if variants[lang] in catalogue_words.get(lang, ()):
                votes[lang] += 0.5
    return votes
