"""What every dialog works with: the turn being answered and the shared navigation buttons."""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.core.events import Button, Event, Text, rows
from bot.core.i18n import Translator
from bot.core.payloads import Menu
from bot.core.ports import Limits, LocalLocks, Locks, Metrics, NoLimits, NoMetrics
from bot.core.state import State, StateStore
from bot.helpdesk.desk import HelpDesk
from catalog.directory import Directory
from catalog.search.engine import AnswerEngine


@dataclass
class Services:
    answers: AnswerEngine
    directory: Directory
    states: StateStore
    desk: HelpDesk
    now: Callable[[], dt.datetime]
    default_language: str = "bg"
    retention_days: int = 90
    metrics: Metrics = field(default_factory=NoMetrics)
    locks: Locks = field(default_factory=LocalLocks)  # one turn at a time per chat
    limits: Limits = field(default_factory=NoLimits)  # per person: turns, help requests, messages to staff
    # Channels where only citizens talk: staff commands there are ordinary text (the web chat
    # is open to anyone; its staff work in the /staff view).
    citizen_only_channels: frozenset[str] = frozenset({"web"})
    # Channels with no button that shares the phone number (Text.request == "contact"): the
    # person is asked to type it.
    no_phone_button_channels: frozenset[str] = frozenset({"web", "terminal"})
    # A typed message goes to the person's open request while its last staff reply is younger.
    follow_up_window: dt.timedelta = dt.timedelta(hours=72)
    # A request waiting this long (working time) for its first response is overdue: staff are reminded.
    reminder_after: dt.timedelta = dt.timedelta(hours=4)


@dataclass
class Turn:
    event: Event
    state: State
    services: Services
    forgotten: bool = False  # the person asked to be forgotten: nothing is saved after this turn

    @property
    def _(self) -> Translator:
        return Translator(self.state.language or "bg")


class StaleButton(Exception):
    """A button payload that no longer (or never did) point at anything."""


def nav(turn: Turn, back: str | None = None) -> tuple[Button, ...]:
    """Back (when there is somewhere to go back to) and Menu: no screen is a dead end."""
    _ = turn._
    return tuple(([Button(_("⬅ Back"), back)] if back else []) + [Button(_("☰ Menu"), Menu().pack())])


def choices(buttons: Sequence[Button], per_row: int = 1) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def screen(
    turn: Turn,
    text: str,
    buttons: Sequence[Button] = (),
    back: str | None = None,
    per_row: int = 1,
    title: str | None = None,
) -> Text:
    return Text(text, rows(*choices(buttons, per_row), nav(turn, back)), title=title)
