"""One gettext catalogue (Babel) for every channel, in bg and uk, and Babel's formats for them."""

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Literal

from babel.dates import format_date, format_time, get_day_names
from babel.support import Translations
from babel.units import format_unit

# The compiled catalogues, from locales/<lang>/LC_MESSAGES/messages.po: `make install` compiles them here in a
# checkout, and the build (setup.py) in a wheel.
LOCALES = Path(__file__).resolve().parents[1] / "locales"
LANGUAGES = ("bg", "uk")
WEEKDAY_INDEX = {day: i for i, day in enumerate(("MO", "TU", "WE", "TH", "FR", "SA", "SU"))}


class MissingTranslations(RuntimeError):
    """A compiled catalogue is not where Opora reads it. gettext would answer in English; Opora refuses to."""


def catalogue(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / "messages.mo"


@cache
def translations(lang: str) -> Translations:
    path = catalogue(lang)
    try:
        with path.open("rb") as compiled:
            return Translations(compiled, domain="messages")
    except FileNotFoundError:
        raise MissingTranslations(
            f"the {lang} translations are missing: no {path}. "
            "In a checkout, `make install` compiles them from locales/; an installed Opora must be built with them."
        ) from None


def check_translations() -> None:
    """Every language's catalogue, at start, rather than a failure at a person's first message."""
    for lang in LANGUAGES:
        translations(lang)


def language(hint: str | None) -> str | None:
    """bg or uk from a language tag such as "uk-UA" or "ru"; None when it is neither."""
    code = (hint or "").lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else "uk" if code == "ru" else None


class Translator:
    def __init__(self, lang: str):
        self.lang = lang if lang in LANGUAGES else LANGUAGES[0]
        self._t = translations(self.lang)

    def __call__(self, message: str, **values: object) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def plural(self, singular: str, plural: str, n: int, **values: object) -> str:
        return self._t.ngettext(singular, plural, n) % {"n": n, **values}

    def date(self, day: dt.date) -> str:
        return format_date(day, "long", locale=self.lang)

    def time(self, moment: dt.time) -> str:
        return format_time(moment, "short", locale=self.lang)

    def weekday(self, day: str, width: Literal["abbreviated", "narrow", "short", "wide"] = "abbreviated") -> str:
        return str(get_day_names(width, locale=self.lang)[WEEKDAY_INDEX[day]])

    def km(self, distance: float) -> str:
        return format_unit(distance, "length-kilometer", length="long", locale=self.lang, format="#,##0.#")
