"""One gettext catalogue (Babel) for every channel, in bg and uk."""

from functools import cache
from pathlib import Path

from babel.support import Translations

LOCALES = Path(__file__).resolve().parents[2] / "locales"
LANGUAGES = ("bg", "uk")


@cache
def translations(lang: str) -> Translations:
    return Translations.load(str(LOCALES), locales=[lang], domain="messages")


class Translator:
    def __init__(self, lang: str):
        self.lang = lang if lang in LANGUAGES else LANGUAGES[0]
        self._t = translations(self.lang)

    def __call__(self, message: str, **values) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def plural(self, singular: str, plural: str, n: int, **values) -> str:
        return self._t.ngettext(singular, plural, n) % {"n": n, **values}
