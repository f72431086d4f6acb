"""What a conversation waits for (its flow), and the typed data it keeps between turns.

A flow says what the next typed text answers; each dialog owns its handler for it
(`bot/core/conversation.py`, AWAITING_TEXT). The data is stored as JSON (`ChatState.data`): every
key is optional, and a state saved by an earlier version may hold anything, so readers check."""

from enum import StrEnum
from typing import TypedDict


class Flow(StrEnum):
    SCREENER_AGE = "screener:age"  # the screener asked for an age: "82" answers it
    HANDOFF_TOPIC = "handoff:topic"  # a request to staff: a topic button, or the need typed at once
    HANDOFF_TEXT = "handoff:text"  # a request to staff: the need, in words
    HANDOFF_PHONE = "handoff:phone"  # a request to staff: a phone number, or skip
    REQUEST = "request"  # a message to add to a request sent earlier; its number in StateData.request
    WHERE = "where"  # "which town?": a town answers the question kept in StateData.pending
    # A staff member pressed ✉ Reply: their next text in that chat answers it (StateData.staff_reply).
    STAFF_REPLY = "staff:reply"


HANDOFF_FLOWS = frozenset({Flow.HANDOFF_TOPIC, Flow.HANDOFF_TEXT, Flow.HANDOFF_PHONE})  # inside a request's draft


class HandoffDraft(TypedDict, total=False):
    """A request to staff being written (bot/core/dialogs/handoff.py); after sending, only `sent` and `queue`."""

    id: str  # the request made from it is found by it, so it is made once
    at: str  # ISO time it was begun: it expires unsent after a day (bot/core/state.py)
    topic: str  # a service id, or ANY
    queue: str
    text: str
    phone: str
    location: list[float]
    sent: int  # the request's number, once sent


class StaffReply(TypedDict):
    """The request a staff member is answering (Flow.STAFF_REPLY), and the staff chat they pressed ✉ Reply in."""

    request: int
    chat: str


class ScreenerDraft(TypedDict, total=False):
    who: str  # "me" or "relative"
    ages: list[int]  # [from, to]
    situations: list[str]


class Recent(TypedDict):
    """What the person was just shown: it preselects the topic and the office of a request."""

    services: list[str]
    offices: list[str]


class StateData(TypedDict, total=False):
    language_from: str  # bot/core/language.py's Source
    chosen_language: bool
    subscribed: bool  # Viber sends only to subscribers
    handoff: HandoffDraft
    screener: ScreenerDraft
    recent: Recent
    request: int  # Flow.REQUEST's request number
    back: str  # the payload of the screen a service card goes back to
    place: str | None  # where the person is: a covered place id, or another town's key
    origin: str  # where a displaced person comes from
    age: int  # the age of the person in need, once said
    pending: str  # a question kept while the person says where
    asked_where: bool  # "which town?" is asked once per conversation
    # A message that went to a request staff had just answered (bot/core/dialogs/handoff.py,
    # `follow_up`), kept only until the next typed message: "this is a new question" answers it.
    follow_up: str
    staff_reply: StaffReply  # Flow.STAFF_REPLY's request
    # Hints that spare every other turn a read: the person has sent a help request (a typed
    # message may be a reply to staff's answer), and this staff member pressed ✏ Correct on an
    # office's facts (their next text may be the correction). Set once, never the only proof.
    asked: bool
    fixing: bool
    # The buttons beside a share button, label → payload, until the next message: on Telegram
    # they send their label (bot/core/events.py, `typed_buttons`).
    typed_buttons: dict[str, str]


def read_flow(stored: str | None, data: StateData) -> Flow | None:
    """The flow as stored. Before flows were typed, a request's number was kept in the flow
    ("request:123"): it moves into the data, and a number that is none leaves the flow without
    one, which then answers "that button is out of date". Anything unknown is no flow."""
    if stored is None:
        return None
    name, _sep, number = stored.partition(":")
    if name == Flow.REQUEST and number:
        data.pop("request", None)
        if number.isascii() and number.isdigit() and len(number) <= 10:
            data["request"] = int(number)
        return Flow.REQUEST
    try:
        return Flow(stored)
    except ValueError:
        return None
