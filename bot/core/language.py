"""Which language a conversation is in, and when it may change.

- A choice the person made (a button, /language, `opora chat --lang`) holds until they change it.
- Otherwise the language comes from the channel's reported language, and then from what the
  person writes: only a whole message clearly in the other language switches it (never a word,
  a number, an emoji or a town), and the switch is said in one line with a one-tap way back.
- Russian is answered in Ukrainian unless the person chose Bulgarian.
"""

from enum import StrEnum

from bot.core.events import Button, Text, rows
from bot.core.i18n import LANGUAGES, Translator, language
from bot.core.payloads import Language
from bot.core.state import State

LANGUAGE_NAMES = {"bg": "🇧🇬 Български", "uk": "🇺🇦 Українська"}


class Source(StrEnum):
    CHOSEN = "chosen"  # a button or a command: only the person changes it
    CHANNEL = "channel"  # the app's language setting
    TEXT = "text"  # what the person wrote
    DEFAULT = "default"  # nothing known yet: the first clear message decides, silently


def start(state: State, reported: str | None, default: str) -> None:
    """A new conversation's language: the channel's, else the default."""
    if state.language is None:
        state.language = language(reported) or default
        state.data["language_from"] = Source.CHANNEL if language(reported) else Source.DEFAULT


def choose(state: State, lang: str) -> None:
    state.language = lang
    state.data["language_from"] = Source.CHOSEN
    state.data["chosen_language"] = True


def chosen(state: State) -> bool:
    return bool(state.data.get("chosen_language")) or state.data.get("language_from") == Source.CHOSEN


def follow(state: State, clear: str | None) -> Text | None:
    """Apply a message that is clearly in `clear` (or None): switch unless the person chose, and
    return the one line that says so, with the way back."""
    if clear is None or chosen(state):
        return None
    source = state.data.get("language_from")
    state.data["language_from"] = Source.TEXT
    if clear == state.language:
        return None
    before, state.language = state.language, clear
    if source == Source.DEFAULT:
        return None
    _ = Translator(clear)
    back = before if before in LANGUAGES else next(lang for lang in LANGUAGES if lang != clear)
    return Text(
        _("I will answer in English now, as you write."), rows((Button(LANGUAGE_NAMES[back], Language(back).pack()),))
    )
