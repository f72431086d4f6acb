"""What a channel hands to the core (events) and what the core hands back (replies).

Plain dataclasses: the core never sees a Telegram update or a Viber request."""

from dataclasses import dataclass
from typing import Any

from bot.core.payloads import fits


@dataclass(frozen=True)
class User:
    channel: str  # "telegram", "viber", "web", "terminal"
    id: str
    name: str | None = None
    language: str | None = None  # what the app reports, e.g. "uk-UA"


@dataclass(frozen=True)
class Event:
    user: User
    text: str | None = None
    payload: str | None = None  # a button press
    location: tuple[float, float] | None = None
    contact: str | None = None  # a shared phone number
    chat: str | None = None  # the group (or other chat) it came from, when not the person's own chat
    reply_to: str | None = None  # the channel's id of the message it replies to


@dataclass(frozen=True)
class Button:
    label: str
    payload: str  # Payload.pack() (bot/core/payloads.py)
    # A toggle's state: True when on, False when off, None for a button that is no toggle. The label
    # shows it too (a ✅/▫ glyph, for channels that have nothing else); the web chat sets aria-pressed.
    pressed: bool | None = None

    def __post_init__(self) -> None:
        fits(self.payload)


Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Text:
    """A message; `title` is shown in bold. `request` asks the person to share their
    "location" or "contact" with a channel-native button labelled `request_label`. `replaces`:
    it takes the place of the message whose button was pressed (a list of toggles redrawn), where
    the channel can edit a message; elsewhere it is sent as a new one. A channel whose share
    button cannot sit beside pressable ones (Telegram's reply keyboard) shows the `buttons` as
    buttons that send their label: the label, sent back as the next message, is that button's
    press (`typed_buttons`)."""

    text: str
    buttons: Rows = ()
    title: str | None = None
    request: str | None = None
    request_label: str | None = None
    replaces: bool = False


def typed_buttons(replies: "list[Reply]") -> dict[str, str]:
    """Label → payload of the buttons shown beside a share button, which may come back typed."""
    return {
        button.label: button.payload
        for reply in replies
        if isinstance(reply, Text) and reply.request
        for row in reply.buttons
        for button in row
    }


@dataclass(frozen=True)
class Venue:
    latitude: float
    longitude: float
    title: str
    address: str


Reply = Text | Venue


def rows(*rows_: list[Button] | tuple[Button, ...]) -> Rows:
    return tuple(tuple(row) for row in rows_ if row)


def to_message(reply: Text) -> dict[str, Any]:
    """A reply as JSON, for the outbox."""
    return {
        "text": reply.text,
        "title": reply.title,
        "buttons": [[[b.label, b.payload] for b in row] for row in reply.buttons],
    }


def from_message(message: dict[str, Any]) -> Text:
    return Text(
        message.get("text", ""),
        rows(*[[Button(label, payload) for label, payload in row] for row in message.get("buttons", [])]),
        title=message.get("title"),
    )
