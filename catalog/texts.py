"""The one rule for a missing translation.

A text is looked up in the asked language; if the catalogue lacks it (only HSDS imports can),
the other catalogue language is used (bg ⇄ uk), then English, then the untranslated HSDS
value, kept under the key "und".
"""

from typing import Any

Texts = dict[str, str]

FALLBACK = {"bg": ("bg", "uk", "en", "und"), "uk": ("uk", "bg", "en", "und"), "en": ("en", "uk", "bg", "und")}


def pick(texts: dict[str, str] | None, lang: str) -> str | None:
    """The text in `lang` from {lang: text}, by the fallback rule."""
    for candidate in FALLBACK.get(lang, (lang, "und")):
        if texts and texts.get(candidate):
            return texts[candidate]
    return None


def local_texts(translations: dict[str, Any] | None, field: str, hsds_value: str | None) -> Texts:
    """A field's texts from a record's `translations` extension; an HSDS record without
    translations keeps its value under "und"."""
    texts = dict((translations or {}).get(field) or {})
    if not texts and hsds_value:
        texts["und"] = hsds_value
    return texts
