"""Offices confirm their own facts: what staff type to correct an office's phone, address or
hours, checked by the rules of `catalog validate`, and the confirmations and corrections written
into the catalogue with who confirmed them (`assured_by`) and when (`assured_date`).

A correction is a fact of its own: its source is the staff chat (`staff_source`), dated the day
it was made, and it is confirmed by the office that made it. Nothing else is guessed: a new
address empties the office's coordinates (they were the old building's), a replaced phone loses
the old number's description.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.models import Address, Location, Organization, Phone, Place, Provider, Record, Schedule
from catalog.provenance import Fact
from catalog.schema import ScheduleIn
from catalog.texts import Texts
from catalog.validation import format_phone, phone_problem
from catalog.vocabulary import WEEKDAYS

VERIFY_MONTHS = 6  # every fact an office shows is confirmed at least this often
MAX_ADDRESS = 200
PRIMARY_LANGUAGE = {"BG": "bg", "UA": "uk"}

# Day names and their abbreviations in Bulgarian and Ukrainian (and Russian, which staff may
# type): a word means the day whose name it begins, from two letters on.
_DAY_NAMES = {
    "MO": ("понеделник", "понеділок", "понедельник", "пн", "пон"),
    "TU": ("вторник", "вівторок", "вт", "вів"),
    "WE": ("сряда", "середа", "среда", "ср"),
    "TH": ("четвъртък", "четвер", "четверг", "чт", "чет"),
    "FR": ("петък", "п'ятниця", "пʼятниця", "пятниця", "пятница", "пт", "пет", "п'ят", "пят"),
    "SA": ("събота", "субота", "суббота", "сб", "съб", "суб"),
    "SU": ("неделя", "неділя", "воскресенье", "нд", "нед", "вс", "вск"),
}
_ABBREVIATIONS = {"пн", "вт", "ср", "чт", "пт", "сб", "нд", "вс"}
_DASH = r"\s*[-–—]\s*"
_DAY = r"[а-яёіїєґʼ'’]+\.?"
_TIME = r"\d{1,2}(?:[:.]\d{2})?"
_SEGMENT = re.compile(
    rf"(?P<days>{_DAY}(?:\s*(?:[-–—,]|и|і|та)\s*{_DAY})*)\s*:?\s*(?:от\s+|з\s+|с\s+)?(?P<opens>{_TIME})"
    rf"(?:\s*(?:ч\.?|год\.?))?(?:{_DASH}|\s+до\s+)(?P<closes>{_TIME})(?:\s*(?:ч\.?|год\.?))?",
    re.IGNORECASE,
)
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-()/.]{6,24}$")


class BadCorrection(ValueError):
    """What staff typed is not a phone, address or hours by the catalogue's rules. `reason` is
    one of: empty, phone, hours, hours_order, address_long."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Opening:
    days: tuple[str, ...]
    opens: str  # HH:MM
    closes: str


@dataclass(frozen=True)
class Correction:
    kind: str  # phone, address, hours
    phone: str | None = None  # international format
    address: str | None = None
    hours: tuple[Opening, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "phone": self.phone,
            "address": self.address,
            "hours": [[list(h.days), h.opens, h.closes] for h in self.hours],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Correction":
        return cls(
            data["kind"],
            data.get("phone"),
            data.get("address"),
            tuple(Opening(tuple(d), o, c) for d, o, c in data.get("hours") or []),
        )


def parse(text: str, country: str) -> Correction:
    """A phone, an address or weekly hours ("пн–пт 8–17", "пн–чт 8:00–17:00, пт 8:00–14:00"),
    checked as `catalog validate` checks them; BadCorrection otherwise."""
    text = " ".join((text or "").split())
    if not text:
        raise BadCorrection("empty")
    if _PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 5:
        if phone_problem(text, country):
            raise BadCorrection("phone", text)
        return Correction("phone", phone=format_phone(text, country))
    if re.search(r"\d{1,2}(?::\d{2})?\s*[-–—]\s*\d{1,2}(?::\d{2})?", text) and _starts_with_day(text):
        return Correction("hours", hours=_hours(text))
    if len(text) > MAX_ADDRESS:
        raise BadCorrection("address_long", text)
    if not re.search(r"[^\W\d_]", text):
        raise BadCorrection("phone" if any(c.isdigit() for c in text) else "empty", text)
    return Correction("address", address=text)


def _starts_with_day(text: str) -> bool:
    word = re.match(_DAY, text.lower())
    return word is not None and _day(word[0]) is not None


def _day(word: str) -> str | None:
    word = word.lower().rstrip(".").replace("’", "'").replace("ʼ", "'")
    if len(word) < 2:
        return None
    for day, names in _DAY_NAMES.items():
        if word in _ABBREVIATIONS and word in names:
            return day
        if word not in _ABBREVIATIONS and any(len(word) >= 3 and name.startswith(word) for name in names):
            return day
    return None


def _days(spec: str) -> tuple[str, ...]:
    days: list[str] = []
    for part in re.split(r"\s*(?:,|\bи\b|\bі\b|\bта\b)\s*", spec.strip()):
        if not part:
            continue
        ends = re.split(_DASH, part)
        found = [day for end in ends if (day := _day(end))]
        if len(found) != len(ends) or len(found) > 2:
            raise BadCorrection("hours", spec)
        if len(found) == 2:
            first, last = WEEKDAYS.index(found[0]), WEEKDAYS.index(found[1])
            if last < first:
                raise BadCorrection("hours", spec)
            days += WEEKDAYS[first : last + 1]
        else:
            days += found
    return tuple(sorted(set(days), key=WEEKDAYS.index))


def _clock(value: str) -> str:
    hours, _sep, minutes = value.replace(".", ":").partition(":")
    return f"{int(hours):02d}:{minutes or '00'}"


def _hours(text: str) -> tuple[Opening, ...]:
    found, at = [], 0
    for match in _SEGMENT.finditer(text):
        if text[at : match.start()].strip(" ,;") or not _days_known(match["days"]):
            raise BadCorrection("hours", text)
        opens, closes = _clock(match["opens"]), _clock(match["closes"])
        try:
            checked = ScheduleIn(days=list(_days(match["days"])), opens=opens, closes=closes)
        except ValidationError as error:
            raise BadCorrection("hours", text) from error
        if checked.opens >= checked.closes:  # the rule of `catalog validate`
            raise BadCorrection("hours_order", f"{opens}–{closes}")
        found.append(Opening(tuple(checked.days), checked.opens, checked.closes))
        at = match.end()
    if not found or text[at:].strip(" ,;."):
        raise BadCorrection("hours", text)
    return tuple(found)


def _days_known(spec: str) -> bool:
    try:
        return bool(_days(spec))
    except BadCorrection:
        return False


# --- what an office shows, and when it is due ----------------------------------------------


@dataclass
class OfficeFacts:
    """The facts of an office that citizens see, with their provenance."""

    location_id: str
    country: str
    address: Address | None
    phones: list[Phone] = field(default_factory=list)  # voice lines, as cards offer them
    hours: list[Schedule] = field(default_factory=list)  # weekly hours

    def due(self, today: dt.date, months: int = VERIFY_MONTHS) -> bool:
        """Unknown facts at once; known ones when nobody confirmed them for `months` (their
        date is the confirmation's, else the source's; an unknown date is due)."""
        if self.address is None or not self.phones or not self.hours:
            return True
        return any(Fact.of(record).stale(today, months) for record in [self.address, *self.phones, *self.hours])


def _number(record_id: str) -> int:
    tail = record_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


async def office_facts(sessions: async_sessionmaker[AsyncSession], location_id: str) -> OfficeFacts | None:
    async with sessions() as session:
        location = await session.get(Location, location_id)
        if location is None:
            return None
        return await _facts(session, location)


async def _facts(session: AsyncSession, location: Location) -> OfficeFacts:
    country = await session.scalar(
        select(Provider.country)
        .join(Organization, Organization.provider_id == Provider.id)
        .where(Organization.id == location.organization_id)
    )
    if country is None:
        country = await session.scalar(select(Place.country).where(Place.id == location.place_id))
    address = await session.scalar(
        select(Address).where(Address.location_id == location.id).order_by(Address.id).limit(1)
    )
    phones = sorted(
        (
            await session.scalars(
                select(Phone).where(Phone.location_id == location.id, Phone.type.is_distinct_from("fax"))
            )
        ).all(),
        key=lambda p: _number(p.id),
    )
    hours = sorted(
        (
            await session.scalars(
                select(Schedule).where(Schedule.location_id == location.id, Schedule.byday.is_not(None))
            )
        ).all(),
        key=lambda s: _number(s.id),
    )
    return OfficeFacts(location.id, country or "BG", address, list(phones), list(hours))


# --- writing confirmations and corrections -------------------------------------------------


def staff_source(queue_id: str) -> str:
    """The source of a fact staff typed: their chat with Opora."""
    return f"Opora staff chat ({queue_id})"


def _confirm(record: Record, who: Texts, lang: str, today: dt.date) -> None:
    record.assured_date = today
    record.assured_by = who.get(lang) or next(iter(who.values()), None)
    record.translations = {**(record.translations or {}), "assured_by": dict(who)}


def _as_typed(record: Record, who: Texts, lang: str, today: dt.date, queue_id: str) -> None:
    record.sources = [staff_source(queue_id)]
    record.source_date = today.isoformat()
    _confirm(record, who, lang, today)


async def confirm_office(
    sessions: async_sessionmaker[AsyncSession], location_id: str, who: Texts, today: dt.date
) -> bool:
    """ "All correct": the office, its address, phones and hours are confirmed today by `who`."""
    async with sessions() as session, session.begin():
        location = await session.get(Location, location_id)
        if location is None:
            return False
        facts = await _facts(session, location)
        lang = PRIMARY_LANGUAGE.get(facts.country, "bg")
        for record in [location, *([facts.address] if facts.address else []), *facts.phones, *facts.hours]:
            _confirm(record, who, lang, today)
    return True


async def correct_office(
    sessions: async_sessionmaker[AsyncSession],
    location_id: str,
    correction: Correction,
    who: Texts,
    today: dt.date,
    queue_id: str,
    replace: int | None = None,
) -> bool:
    """Store a checked correction: a phone (replacing the office's phone number `replace`, 0-based
    among its voice lines, or added), the address, or the weekly hours (replacing them)."""
    async with sessions() as session, session.begin():
        location = await session.get(Location, location_id)
        if location is None:
            return False
        facts = await _facts(session, location)
        lang = PRIMARY_LANGUAGE.get(facts.country, "bg")
        if correction.kind == "phone" and correction.phone:
            if replace is not None and 0 <= replace < len(facts.phones):
                phone = facts.phones[replace]
                phone.number, phone.description = correction.phone, None
                phone.translations = {k: v for k, v in (phone.translations or {}).items() if k != "description"}
            else:
                every = (await session.scalars(select(Phone.id).where(Phone.location_id == location_id))).all()
                phone = Phone(
                    id=f"{location_id}-phone-{max(map(_number, every), default=0) + 1}",
                    location_id=location_id,
                    number=correction.phone,
                    type="voice",
                    translations={},
                )
                session.add(phone)
            _as_typed(phone, who, lang, today, queue_id)
        elif correction.kind == "address":
            address = facts.address
            if address is None:
                place = await session.get(Place, location.place_id) if location.place_id else None
                address = Address(
                    id=f"{location_id}-address",
                    location_id=location_id,
                    country=facts.country,
                    city=place.name if place else None,
                    translations={"city": dict((place.translations or {}).get("name") or {})} if place else {},
                )
                session.add(address)
            address.address_1 = correction.address
            address.translations = {
                **(address.translations or {}),
                "address_1": {"bg": correction.address, "uk": correction.address},
            }
            _as_typed(address, who, lang, today, queue_id)
            location.latitude = location.longitude = None  # they were the old address's
        elif correction.kind == "hours":
            await session.execute(
                delete(Schedule).where(Schedule.location_id == location_id, Schedule.byday.is_not(None))
            )
            taken = {
                _number(i)
                for i in (await session.scalars(select(Schedule.id).where(Schedule.location_id == location_id))).all()
            }
            number = max(taken, default=0)
            for opening in correction.hours:
                number += 1
                schedule = Schedule(
                    id=f"{location_id}-schedule-{number}",
                    location_id=location_id,
                    freq="WEEKLY",
                    wkst="MO",
                    byday=",".join(opening.days),
                    opens_at=f"{opening.opens}:00",
                    closes_at=f"{opening.closes}:00",
                    translations={},
                )
                _as_typed(schedule, who, lang, today, queue_id)
                session.add(schedule)
        else:
            raise ValueError(correction.kind)
    return True
