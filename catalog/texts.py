"""The one rule for a missing translation.

A text is looked up in the asked language; if the catalogue lacks it (only HSDS imports can),
the other catalogue language is used (bg ⇄ uk), then English, then the HSDS column itself.
"""

from catalog.models import Record

FALLBACK = {"bg": ("bg", "uk", "en"), "uk": ("uk", "bg", "en"), "en": ("en", "uk", "bg")}


def pick(texts: dict[str, str] | None, lang: str) -> str | None:
    """The text in `lang` from {lang: text}, by the fallback rule."""
    for candidate in FALLBACK.get(lang, (lang,)):
        if texts and texts.get(candidate):
            return texts[candidate]
    return None


def local(record: Record, field: str, lang: str) -> str | None:
    """The text of `field` in `lang`, by the fallback rule; None when the record has none."""
    return pick((record.translations or {}).get(field), lang) or getattr(record, field, None) or None


def local_language(record: Record, field: str, lang: str) -> str | None:
    """Which language `local` answers in (None for the untranslated HSDS value)."""
    texts = (record.translations or {}).get(field) or {}
    return next((c for c in FALLBACK.get(lang, (lang,)) if texts.get(c)), None)
