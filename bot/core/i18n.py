"""One gettext catalogue (Babel) for every channel, in bg and uk, and Babel's formats for them."""

import datetime as dt
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_time, get_day_names
from babel.support import Translations
from babel.units import format_unit

LOCALES = Path(__file__).resolve().parents[2] / "locales"
LANGUAGES = ("bg", "uk")
WEEKDAY_INDEX = {day: i for i, day in enumerate(("MO", "TU", "WE", "TH", "FR", "SA", "SU"))}


@cache
def translations(lang: str) -> Translations:
    return Translations.load(str(LOCALES), locales=[lang], domain="messages")


def language(hint: str | None) -> str | None:
    """bg or uk from a language tag such as "uk-UA" or "ru"; None when it is neither."""
    code = (hint or "").lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else "uk" if code == "ru" else None


class Translator:
    def __init__(self, lang: str):
        self.lang = lang if lang in LANGUAGES else LANGUAGES[0]
        self._t = translations(self.lang)

    def __call__(self, message: str, **values) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def plural(self, singular: str, plural: str, n: int, **values) -> str:
        return self._t.ngettext(singular, plural, n) % {"n": n, **values}

    def date(self, day: dt.date) -> str:
        return format_date(day, "long", locale=self.lang)

    def time(self, moment: dt.time) -> str:
        return format_time(moment, "short", locale=self.lang)

    def weekday(self, day: str, width: str = "abbreviated") -> str:
        return get_day_names(width, locale=self.lang)[WEEKDAY_INDEX[day]]

    def km(self, distance: float) -> str:
        return format_unit(distance, "length-kilometer", length="long", locale=self.lang, format="#,##0.#")
