"""Core replies as Viber messages (viberbot models), with one rich keyboard per answer.

Viber shows only the keyboard of the latest message, so the buttons of every reply in an
answer are gathered on its last message. Button presses come back as text messages whose
body is PAYLOAD_PREFIX + the payload."""

from typing import Any

from viberbot.api.messages import LocationMessage, TextMessage
from viberbot.api.messages.data_types.location import Location

from bot.core.events import Reply, Text, Venue

MAX_TEXT = 7000
PAYLOAD_PREFIX = "btn:"
MIN_API_VERSION = 3  # share-phone buttons
COLUMNS = 6


def split(text: str, limit: int = MAX_TEXT) -> list[str]:
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return pieces + [text]


def _button(text: str, action_type: str, body: str, columns: int) -> dict[str, Any]:
    return {
        "Columns": columns,
        "Rows": 1,
        "ActionType": action_type,
        "ActionBody": body,
        "Text": text,
        "TextSize": "regular",
        "Silent": True,
    }


def keyboard(replies: list[Reply]) -> dict[str, Any] | None:
    buttons = []
    for reply in replies:
        if not isinstance(reply, Text):
            continue
        if reply.request:
            action = "location-picker" if reply.request == "location" else "share-phone"
            buttons.append(_button(reply.request_label or "📍", action, reply.request, COLUMNS))
        for row in reply.buttons:
            for button in row:
                buttons.append(_button(button.label, "reply", PAYLOAD_PREFIX + button.payload, COLUMNS // len(row)))
    return {"Type": "keyboard", "DefaultHeight": False, "Buttons": buttons} if buttons else None


def messages(replies: list[Reply]) -> list[TextMessage | LocationMessage]:
    # A reply that `replaces` the message whose button was pressed is sent as a new message: the
    # Viber REST API has no way to edit a message sent. Its keyboard is the only one Viber shows, so
    # the toggles still show their state (the ✅/▫ in their labels) in one place.
    parts: list[str | Location] = []
    for reply in replies:
        if isinstance(reply, Venue):
            parts.append(Location(lat=reply.latitude, lon=reply.longitude))
        else:
            text = f"*{reply.title}*\n{reply.text}" if reply.title else reply.text
            parts += [piece for piece in split(text) if piece]
    board = keyboard(replies)
    out = []
    for i, part in enumerate(parts):
        extra = {"keyboard": board if i == len(parts) - 1 else None, "min_api_version": MIN_API_VERSION}
        out.append(
            LocationMessage(location=part, **extra) if isinstance(part, Location) else TextMessage(text=part, **extra)
        )
    return out
