"""Where a fact comes from, and how old it is.

Two dates are kept apart:
- `source_date`: when the source published the fact, as precisely as the source gives it
  ("2022", "2022-10" or "2022-10-11"); unknown (None) for an undated source;
- `assured_date` with `assured_by`: when a person (staff of the office) confirmed the fact, and
  who. Only this makes a fact "confirmed".

A fact is possibly out of date when it may be more than STALE_MONTHS old (its date, the
confirmation's or else the source's, counted from the first day it may stand for: "2025" from
1 January 2025), or when its date is unknown. Today is always passed in, never read here.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from dateutil.relativedelta import relativedelta

from catalog.models import Record
from catalog.texts import Texts

STALE_MONTHS = 12
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def source_date(value: object) -> str | None:
    """A source's date as text: YYYY, YYYY-MM or YYYY-MM-DD. Accepts a date, a year (2022) or
    such text; ValueError for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    match = _PARTIAL.match(text)
    if not match:
        raise ValueError(f"a date must be YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    year, month, day = _parts(match)
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"month out of range in {text!r}")
    if month is not None and day is not None:
        dt.date(year, month, day)  # ValueError for 2022-02-30
    return text


def _parts(match: re.Match[str]) -> tuple[int, int | None, int | None]:
    year, month, day = match.groups()
    return int(year), int(month) if month else None, int(day) if day else None


def date_range(text: str) -> tuple[dt.date, dt.date]:
    """The first and the last day a (partial) source date may stand for."""
    match = _PARTIAL.match(text)
    if match is None:
        raise ValueError(f"a date must be YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
    year, month, day = _parts(match)
    if month is not None and day is not None:
        return dt.date(year, month, day), dt.date(year, month, day)
    if month is not None:
        first = dt.date(year, month, 1)
        return first, first + relativedelta(months=1, days=-1)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def precision(text: str) -> str:
    """ "year", "month" or "day"."""
    return ("year", "month", "day")[text.count("-")]


def stale_before(today: dt.date, months: int = STALE_MONTHS) -> dt.date:
    """Facts dated before this day are possibly out of date."""
    return today - relativedelta(months=months)


def source_label(sources: list[str]) -> str | None:
    """How a card names the main (first) source: a web page by its site, anything else as written
    up to its first parenthesis ("Standart (seeds/000….txt)" → "Standart")."""
    if not sources:
        return None
    first = sources[0].strip()
    if first.startswith(("http://", "https://")):
        host = urlsplit(first).hostname or first
        return host.removeprefix("www.")
    return first.split(" (")[0].strip() or first


@dataclass(frozen=True)
class Fact:
    """The provenance of one shown fact (a record, its phones, its hours)."""

    source: str | None = None  # the main source's label
    source_date: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    assured_date: dt.date | None = None
    assured_by: Texts = field(default_factory=dict)

    @classmethod
    def of(cls, record: Record) -> "Fact":
        """The provenance of a catalogue record (catalog.models.Record). Who confirmed it is
        `assured_by` in the record's languages or, for HSDS data, the service's assurer."""
        who = dict((record.translations or {}).get("assured_by") or {})
        if not who and record.assured_by:
            who = {"und": record.assured_by}
        if not who and (assurer := getattr(record, "assurer_email", None)):  # only a Service has one
            who = {"und": assurer}
        return cls(source_label(list(record.sources or [])), record.source_date, record.assured_date, who)

    @property
    def confirmed(self) -> bool:
        """A person confirmed it: a date, and who."""
        return self.assured_date is not None and bool(self.assured_by)

    @property
    def earliest_day(self) -> dt.date | None:
        """The earliest day the fact may be from: the confirmation's, else the first day its
        source's date stands for (2022 → 1 January 2022), else the date an HSDS publisher gave
        without saying who. None when unknown."""
        if self.confirmed:
            return self.assured_date
        if self.source_date:
            return date_range(self.source_date)[0]
        return self.assured_date

    def stale(self, today: dt.date, months: int = STALE_MONTHS) -> bool:
        """Possibly out of date: it may be older than `months` (a year or a month counts from its
        first day), or its date is unknown."""
        day = self.earliest_day
        return day is None or day < stale_before(today, months)
