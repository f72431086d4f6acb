"""`opora catalog stale`: every fact of the YAML catalogue older than a limit, where it is written.

A fact's date is its confirmation's (assured_date) when a person confirmed it, else its source's
(source_date); a fact of unknown date is listed too, since nobody can say it is current. Phones
and hours without provenance of their own have their office's.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from catalog.loader import PRIMARY_LANGUAGE, provenance
from catalog.provenance import STALE_MONTHS, Fact, source_label
from catalog.schema import LocalText, LocationIn, OrganizationIn, Provenance, ProviderFile, ServiceIn
from catalog.validation import Loc, ParsedFile, Problem, line_of, parse_files

SHORT = 60  # characters of a text shown to say which fact it is
_PHONE = {"voice": "phone", "fax": "fax"}


@dataclass(frozen=True, order=True)
class StaleFact:
    file: str
    line: int
    record: str  # the service's or office's name
    fact: str
    date: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.record}: {self.fact}, {self.date}"


def stale_facts(path: Path, today: dt.date, months: int = STALE_MONTHS) -> tuple[list[StaleFact], list[Problem]]:
    """The facts of the provider files under `path` dated more than `months` before `today`, or
    undated; and the problems of files that could not be read."""
    parsed, problems = parse_files(path)
    found = []
    for item in parsed:
        if isinstance(item.content, ProviderFile):
            found += [f for f, fact in _facts(item) if fact.stale(today, months)]
    return sorted(found), problems


def _facts(item: ParsedFile) -> Iterator[tuple[StaleFact, Fact]]:
    content = item.content
    assert isinstance(content, ProviderFile)
    lang = PRIMARY_LANGUAGE[content.provider.country]

    def fact(
        loc: Loc, record: OrganizationIn | LocationIn | ServiceIn, what: str, node: Provenance | None = None
    ) -> tuple[StaleFact, Fact]:
        found = _fact(node or record, record if node is not None else None)
        return StaleFact(
            str(item.path), line_of(item.doc, loc), _text(record.name, lang, None), what, _when(found)
        ), found

    for i, org in enumerate(content.organizations):
        at = ("organizations", i)
        if org.description:
            yield fact(at + ("description",), org, "description")
        for j, phone in enumerate(org.phones):
            yield fact(at + ("phones", j, "number"), org, f"{_PHONE[phone.type]} {phone.number}", phone)
        if org.email:
            yield fact(at + ("email",), org, f"e-mail {org.email}")
        if org.website:
            yield fact(at + ("website",), org, f"website {org.website}")
    for i, location in enumerate(content.locations):
        at = ("locations", i)
        if location.address:
            yield fact(at + ("address",), location, f"address {_text(location.address, lang)}")
        for j, phone in enumerate(location.phones):
            yield fact(at + ("phones", j, "number"), location, f"{_PHONE[phone.type]} {phone.number}", phone)
        for j, hours in enumerate(location.schedule):
            days = "–".join(dict.fromkeys((hours.days[0], hours.days[-1])))
            yield fact(at + ("schedule", j), location, f"hours {days} {hours.opens}–{hours.closes}", hours)
    for i, service in enumerate(content.services):
        at = ("services", i)
        yield fact(at + ("status",), service, f"status {service.status}")
        yield fact(at + ("description",), service, "description")
        if service.eligibility.text or service.eligibility.target_groups:
            yield fact(at + ("eligibility",), service, "who can get it")
        if service.application_process:
            yield fact(at + ("application_process",), service, "how to apply")
        for j, document in enumerate(service.documents):
            yield fact(at + ("documents", j), service, f"document {_text(document, lang)}")
        for j, cost in enumerate(service.costs):
            yield fact(at + ("costs", j), service, f"cost {_text(cost.description, lang)}")
        for j, phone in enumerate(service.phones):
            yield fact(at + ("phones", j, "number"), service, f"{_PHONE[phone.type]} {phone.number}", phone)


def _fact(node: Provenance, parent: Provenance | None) -> Fact:
    found = provenance(node, parent)
    return Fact(source_label(found["sources"]), found["source_date"], found["assured_date"], found["assured_by"] or {})


def _when(fact: Fact) -> str:
    if fact.confirmed:
        return f"confirmed {fact.assured_date}"
    return fact.source_date or "undated"


def _text(text: LocalText | None, lang: str, short: int | None = SHORT) -> str:
    """The text in `lang` on one line, cut to `short` characters when it is a fact's value."""
    value = " ".join(((text.as_dict().get(lang) or next(iter(text.as_dict().values()), "")) if text else "").split())
    return value if short is None or len(value) <= short else value[: short - 1] + "…"
