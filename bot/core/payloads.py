"""Button payloads: one frozen dataclass per kind of button, and one codec for them all (aiogram's
`CallbackData`, for every channel).

On the wire a payload is "prefix:field:field…": the prefix names the kind, empty trailing fields
are left out ("scr", "scr:done"), and the last field takes the rest. The wire format must not
change: buttons already sent sit in people's chats and keep working after a deploy.

    Button(_("🙋 Take No. %(n)d", n=n), StaffAction("take", n).pack())
    match Payload.unpack(event.payload):
        case StaffAction(action="take", request=n): ...
        case None: ...  # unknown, out of date or forged: "this button no longer works"
"""

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

from bot.helpdesk.desk import MAX_ID

MAX_PAYLOAD_BYTES = 64  # Telegram's callback_data limit is the smallest of the channels
SEPARATOR = ":"
ANY = "*"  # "any town", "another question": a field's value that is no id


def fits(data: str) -> str:
    """The payload, when every channel can carry it; ValueError otherwise."""
    if len(data.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"button payload over {MAX_PAYLOAD_BYTES} bytes: {data!r}")
    return data


def _number(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        raise ValueError(text)
    return int(text)


def _converter(hint: Any) -> typing.Callable[[str], Any]:
    """How a field is read from its text: str as is, int as a number within what an id can be
    (a larger one points at nothing), a Literal as one of its values."""
    if hint is str:
        return str
    if hint is int:
        return _number
    if typing.get_origin(hint) is Literal:
        allowed = typing.get_args(hint)

        def one_of(text: str) -> str:
            if text not in allowed:
                raise ValueError(text)
            return text

        return one_of
    raise TypeError(f"a payload field must be str, int or a Literal of str, not {hint!r}")


class Payload:
    """A kind of button. Subclasses are frozen dataclasses declared with `prefix=`."""

    prefix: ClassVar[str]
    _kinds: ClassVar[dict[str, type["Payload"]]] = {}
    _readers: ClassVar[tuple[tuple[str, typing.Callable[[str], Any], bool], ...]]

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix in Payload._kinds:
            raise TypeError(f"payload prefix {prefix!r} is taken by {Payload._kinds[prefix].__name__}")
        cls.prefix = prefix
        Payload._kinds[prefix] = cls

    @classmethod
    def _fields(cls) -> tuple[tuple[str, typing.Callable[[str], Any], bool], ...]:
        if "_readers" not in cls.__dict__:  # read once, after the dataclass decorator made the fields
            hints = typing.get_type_hints(cls)
            cls._readers = tuple(
                (f.name, _converter(hints[f.name]), f.default is not dataclasses.MISSING)
                for f in dataclasses.fields(typing.cast(Any, cls))
            )
        return cls._readers

    def pack(self) -> str:
        values = [str(getattr(self, name)) for name, _read, _optional in self._fields()]
        while values and values[-1] == "":
            values.pop()
        if any(SEPARATOR in value for value in values[:-1]):
            raise ValueError(f"{SEPARATOR!r} inside a field of {self!r}: only the last field may hold it")
        return fits(SEPARATOR.join([self.prefix, *values]))

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        """The payload a button carries; None when it is unknown, out of date or forged (and,
        called on a subclass, when it is not of that kind)."""
        if data is None:
            return None
        parts = data.split(SEPARATOR)
        for size in range(min(len(parts), 2), 0, -1):  # the longest prefix first: "staff:add" before "staff"
            kind = Payload._kinds.get(SEPARATOR.join(parts[:size]))
            if kind is not None:
                rest = SEPARATOR.join(parts[size:]) if len(parts) > size else None
                found = kind._read(rest)
                return found if isinstance(found, cls) else None
        return None

    @classmethod
    def _read(cls, rest: str | None) -> Self | None:
        fields = cls._fields()
        if rest is None:
            texts: list[str] = []
        elif not fields:
            return None
        else:
            texts = rest.split(SEPARATOR, len(fields) - 1)
        values: dict[str, Any] = {}
        try:
            for i, (name, read, optional) in enumerate(fields):
                if i < len(texts):
                    values[name] = read(texts[i])
                elif not optional:
                    return None
            return cls(**values)
        except ValueError:
            return None


# --- the citizen's buttons ------------------------------------------------------------------


@dataclass(frozen=True)
class Menu(Payload, prefix="menu"):
    pass


@dataclass(frozen=True)
class Help(Payload, prefix="help"):
    pass


@dataclass(frozen=True)
class Language(Payload, prefix="lang"):
    lang: str = ""  # "" asks which


@dataclass(frozen=True)
class Forget(Payload, prefix="forget"):
    answer: Literal["", "yes", "no"] = ""  # "" asks whether


@dataclass(frozen=True)
class Browse(Payload, prefix="browse"):
    pass


@dataclass(frozen=True)
class Towns(Payload, prefix="cat"):
    """The towns with services of a category."""

    category: str


@dataclass(frozen=True)
class InTown(Payload, prefix="town"):
    """The services of a category in a town."""

    category: str
    place: str  # a place id, or ANY


@dataclass(frozen=True)
class Card(Payload, prefix="svc"):
    """A service's card."""

    service: str


@dataclass(frozen=True)
class More(Payload, prefix="more"):
    """The rest of a service's card: how to apply, documents, cost, sources, every office."""

    service: str


@dataclass(frozen=True)
class Near(Payload, prefix="near"):
    place: str = ""  # "" asks for a location or a town


@dataclass(frozen=True)
class Where(Payload, prefix="where"):
    """A town answering "which town?"."""

    place: str  # a place id, or ANY: another town, to be written


ScreenerStep = Literal["", "who", "age", "s", "done", "at"]


@dataclass(frozen=True)
class Screener(Payload, prefix="scr"):
    """Am I eligible? "" starts; who: me/relative; age: "18-64"; s: a situation toggled; done; at: a place."""

    step: ScreenerStep = ""
    value: str = ""


HandoffStep = Literal["", "topic", "queues", "q", "phone", "send", "cancel", "mine"]


@dataclass(frozen=True)
class Handoff(Payload, prefix="staff"):
    """Talk to staff. "" starts; topic: a service id or ANY; queues: choose an office; q: an office
    chosen; phone: skip, or change the number shown back; send; cancel; mine: the person's requests."""

    step: HandoffStep = ""
    value: str = ""


@dataclass(frozen=True)
class AddToRequest(Payload, prefix="staff:add"):
    """A message to add to one of the person's requests."""

    request: int


@dataclass(frozen=True)
class NewQuestion(Payload, prefix="newq"):
    """ "This is a new question": the message that went to a request staff had just answered
    (its text is kept in StateData.follow_up, not here) is answered as a question instead."""

    request: int


# --- the staff's buttons --------------------------------------------------------------------


StaffStep = Literal["take", "close", "release", "reopen", "reply", "transfer", "cancel"]


@dataclass(frozen=True)
class StaffAction(Payload, prefix="st"):
    """A request's button in a staff chat. reply: the next text the staff member writes in this
    chat answers the citizen (Viber has no replies to a message); transfer: which queue, asked
    with StaffTransfer buttons; cancel: no answer after all."""

    action: StaffStep
    request: int


@dataclass(frozen=True)
class StaffTransfer(Payload, prefix="stt"):
    """A request moved to another queue."""

    request: int
    queue: str


@dataclass(frozen=True)
class Verify(Payload, prefix="sv"):
    """An office's facts (bot/core/verification.py): ok, fix, save (`choice`: which phone it
    replaces, or "new") or no."""

    action: Literal["ok", "fix", "save", "no"]
    verification: int
    choice: str = ""


def of_staff(data: str | None) -> bool:
    """Whether a payload is a staff button (read or not): staff chats handle those."""
    return data is not None and data.startswith(
        (StaffAction.prefix + SEPARATOR, StaffTransfer.prefix + SEPARATOR, Verify.prefix + SEPARATOR)
    )
