"""Reading and checking the YAML catalogue. Every problem is reported as `file:line: message`."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from catalog.provenance import date_range
from catalog.schema import (
    EligibilityIn,
    LocalText,
    LocationIn,
    OrganizationIn,
    PhoneIn,
    PlaceIn,
    PlacesFile,
    Provenance,
    ProviderFile,
    ProviderIn,
    QueueIn,
    ScheduleIn,
    ServiceIn,
)
from catalog.vocabulary import REQUIRED_LANGUAGES, TargetGroup

Loc = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class ParsedFile:
    path: Path
    doc: Any
    content: PlacesFile | ProviderFile


@dataclass
class Catalog:
    places: list[PlaceIn] = field(default_factory=list)
    providers: list[ProviderFile] = field(default_factory=list)


class CatalogError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(map(str, self.problems)))


def catalog_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.yaml")) if path.is_dir() else [path]


def read_catalog(path: Path, today: dt.date | None = None) -> tuple[Catalog, list[Problem]]:
    """Parse and check every file under `path` (a directory or one file). Dates after `today`
    (by default the real one) are errors."""
    parsed, problems = parse_files(path)
    problems += _cross_check(parsed, today or dt.datetime.now().astimezone().date())
    catalog = Catalog()
    for item in parsed:
        if isinstance(item.content, PlacesFile):
            catalog.places += item.content.places
        else:
            catalog.providers.append(item.content)
    return catalog, sorted(set(problems))


def parse_files(path: Path) -> tuple[list[ParsedFile], list[Problem]]:
    """Every file under `path` parsed, with its YAML document (for lines), and the syntax and
    shape problems of those that could not be."""
    problems: list[Problem] = []
    parsed: list[ParsedFile] = []
    files = catalog_files(path)
    if not files:
        problems.append(Problem(str(path), 0, "no catalogue files (*.yaml) found"))
    for file in files:
        result = _parse(file, problems)
        if result:
            parsed.append(result)
    return parsed, problems


FACT_KEYS = {"address": "address", "phones": "phones", "hours": "schedule"}


def fact_lines(path: Path) -> dict[tuple[str, str], str]:
    """Where each office's address, phones and hours are written: (location id, fact) →
    "file:line" (the office's id when the file leaves the fact out)."""
    found = {}
    for item in parse_files(path)[0]:
        for i, location in enumerate(getattr(item.content, "locations", [])):
            for fact, key in FACT_KEYS.items():
                loc = ("locations", i, key) if key in item.doc["locations"][i] else ("locations", i, "id")
                found[(location.id, fact)] = f"{item.path}:{line_of(item.doc, loc)}"
    return found


def load_checked(path: Path) -> Catalog:
    catalog, problems = read_catalog(path)
    if problems:
        raise CatalogError(problems)
    return catalog


def _parse(file: Path, problems: list[Problem]) -> ParsedFile | None:
    name = str(file)
    try:
        doc = YAML(typ="rt").load(file.read_text(encoding="utf-8"))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problems.append(Problem(name, mark.line + 1 if mark else 0, f"YAML syntax: {error.problem}"))
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.append(Problem(name, 0, f"cannot read: {error}"))
        return None
    if not isinstance(doc, CommentedMap):
        problems.append(Problem(name, 1, "expected a mapping with `provider:` or `places:`"))
        return None
    model = PlacesFile if "places" in doc else ProviderFile
    try:
        return ParsedFile(file, doc, model.model_validate(_plain(doc)))
    except ValidationError as error:
        for item in error.errors():
            problems.append(Problem(name, line_of(doc, item["loc"]), _message(item)))
        return None


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def line_of(doc: Any, loc: Loc) -> int:
    """The 1-based line of the deepest node of `loc` that exists in the YAML document."""
    line, node = 0, doc
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line, node = node.lc.key(key)[0], node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line, node = node.lc.item(key)[0], node[key]
        else:
            break
    return line + 1


def _path(loc: Loc) -> str:
    text = ""
    for key in loc:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def _message(error: ErrorDetails) -> str:
    loc = tuple(k for k in error["loc"] if k not in ("str", "list[str]"))
    if "target_groups" in loc and error["type"] == "enum":
        known = ", ".join(TargetGroup)
        return f"{_path(loc)}: unknown target group {error['input']!r} (known: {known})"
    if error["type"] == "extra_forbidden":
        return f"{_path(loc)}: unknown key {loc[-1]!r}"
    if error["type"] == "missing":
        return f"{_path(loc)}: required"
    return f"{_path(loc)}: {error['msg']}"


def nodes(model: BaseModel, loc: Loc = ()) -> Iterator[tuple[Loc, BaseModel]]:
    """Every pydantic node under `model`, with its location in the document."""
    yield loc, model
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from nodes(value, loc + (name,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from nodes(item, loc + (name, i))


_RECORD_KINDS: dict[type[BaseModel], str] = {
    PlaceIn: "place",
    ProviderIn: "provider",
    OrganizationIn: "organization",
    LocationIn: "location",
    ServiceIn: "service",
}


def _cross_check(parsed: list[ParsedFile], today: dt.date) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, dict[str, str]] = {kind: {} for kind in _RECORD_KINDS.values()}
    refs: list[tuple[str, str, str, Loc, ParsedFile]] = []  # kind, id, what, loc, file

    for item in parsed:

        def report(loc: Loc, message: str, item: ParsedFile = item) -> None:
            problems.append(Problem(str(item.path), line_of(item.doc, loc), message))

        country = getattr(getattr(item.content, "provider", None), "country", None)
        for loc, node in nodes(item.content):
            kind = _RECORD_KINDS.get(type(node))
            if kind and isinstance(node, PlaceIn | ProviderIn | OrganizationIn | LocationIn | ServiceIn):
                where = f"{item.path}:{line_of(item.doc, loc + ('id',))}"
                first = ids[kind].setdefault(node.id, where)
                if first != where:
                    report(loc + ("id",), f"duplicate {kind} id {node.id!r} (first at {first})")
                if not node.sources():
                    report(loc + ("id",), f"{kind} {node.id!r}: source is required")
                if kind == "place":
                    if node.assured_date is None and node.source_date is None:
                        report(loc + ("id",), f"place {node.id!r}: source_date is required")
                elif "source_date" not in node.model_fields_set:
                    report(
                        loc + ("id",),
                        f"{kind} {node.id!r}: source_date is required (the date the "
                        "source gives; `source_date: null` when it gives none)",
                    )
            if isinstance(node, Provenance):
                problems.extend(_provenance_problems(item, loc, node, kind, today))
            if isinstance(node, LocalText):
                for lang in REQUIRED_LANGUAGES:
                    if not getattr(node, lang):
                        report(loc, f"{_path(loc)}: missing {lang} translation")
            elif isinstance(node, PhoneIn):
                problem = phone_problem(node.number, country)
                if problem:
                    report(loc + ("number",), f"{_path(loc)}.number: {problem}")
            elif isinstance(node, ScheduleIn) and node.opens >= node.closes:
                report(loc + ("opens",), f"{_path(loc)}: opens {node.opens} is not before closes {node.closes}")
            elif (
                isinstance(node, EligibilityIn)
                and node.min_age is not None
                and node.max_age is not None
                and node.min_age > node.max_age
            ):
                report(loc + ("min_age",), f"{_path(loc)}: min_age {node.min_age} > max_age {node.max_age}")
            if isinstance(node, (LocationIn, PlaceIn)):
                problems.extend(_coordinate_problems(item, loc, node))
            refs.extend((k, v, w, loc + rest, item) for k, v, w, rest in _references(node))

    problems += _queue_problems(parsed)
    for kind, target, what, loc, item in refs:
        if target not in ids[kind]:
            problems.append(
                Problem(str(item.path), line_of(item.doc, loc), f"{what} refers to unknown {kind} {target!r}")
            )
    return problems


def _references(node: BaseModel) -> Iterator[tuple[str, str, str, Loc]]:
    if isinstance(node, ServiceIn):
        yield "organization", node.organization, f"service {node.id!r}", ("organization",)
        for i, loc_id in enumerate(node.locations):
            yield "location", loc_id, f"service {node.id!r}", ("locations", i)
        for i, area in enumerate(node.areas):
            yield "place", area, f"service {node.id!r}", ("areas", i)
    elif isinstance(node, LocationIn):
        yield "organization", node.organization, f"location {node.id!r}", ("organization",)
        yield "place", node.place, f"location {node.id!r}", ("place",)
        for i, area in enumerate(node.serves.areas if node.serves else []):
            yield "place", area, f"location {node.id!r}", ("serves", "areas", i)
    elif isinstance(node, OrganizationIn) and node.parent:
        yield "organization", node.parent, f"organization {node.id!r}", ("parent",)
    elif isinstance(node, ProviderIn):
        yield "place", node.place, f"provider {node.id!r}", ("place",)
    elif isinstance(node, QueueIn):
        if node.office:
            yield "location", node.office, f"queue {node.id!r}", ("office",)
        for i, service in enumerate(node.services):
            yield "service", service, f"queue {node.id!r}", ("services", i)
    elif isinstance(node, PlaceIn) and node.within:
        yield "place", node.within, f"place {node.id!r}", ("within",)


def _queue_problems(parsed: list[ParsedFile]) -> list[Problem]:
    """Queue ids are unique, a provider has at most one default queue, a topic goes to one queue."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for item in parsed:
        queues = getattr(item.content, "queues", [])
        routed: dict[str, str] = {}
        for i, queue in enumerate(queues):
            where = (str(item.path), line_of(item.doc, ("queues", i, "id")))
            if queue.id in seen:
                problems.append(Problem(*where, f"duplicate queue id {queue.id!r} (first at {seen[queue.id]})"))
            seen.setdefault(queue.id, f"{where[0]}:{where[1]}")
            for j, service in enumerate(queue.services):
                if service in routed:
                    problems.append(
                        Problem(
                            str(item.path),
                            line_of(item.doc, ("queues", i, "services", j)),
                            f"service {service!r} is routed to both {routed[service]!r} and {queue.id!r}",
                        )
                    )
                routed.setdefault(service, queue.id)
        defaults = [i for i, q in enumerate(queues) if q.default]
        if queues and len(defaults) != 1:
            at = defaults[1] if defaults else 0
            problems.append(
                Problem(
                    str(item.path),
                    line_of(item.doc, ("queues", at, "id")),
                    f"a provider's queues need exactly one `default: true`, found {len(defaults)}",
                )
            )
    return problems


def _provenance_problems(
    item: ParsedFile, loc: Loc, node: Provenance, kind: str | None, today: dt.date
) -> list[Problem]:
    """Dates are not in the future; a confirmation says who confirmed, and when; a phone or
    schedule with a source of its own also gives that source's date."""
    out = []

    def report(key: str, message: str) -> None:
        out.append(Problem(str(item.path), line_of(item.doc, loc + (key,)), message))

    if node.source_date and date_range(node.source_date)[0] > today:
        report("source_date", f"source_date {node.source_date} is in the future")
    if node.assured_date and node.assured_date > today:
        report("assured_date", f"assured_date {node.assured_date} is in the future")
    if kind != "place" and (node.assured_date is None) != (node.assured_by is None):
        present, missing = ("assured_date", "assured_by") if node.assured_by is None else ("assured_by", "assured_date")
        report(
            present,
            f"{_path(loc) or 'record'}: {present} needs {missing} (a confirmation says who "
            "confirmed the fact and when)",
        )
    if kind is None and node.source is not None and "source_date" not in node.model_fields_set:
        report("source", f"{_path(loc)}: a source of its own needs its source_date (`null` when it gives none)")
    return out


def _coordinate_problems(item: ParsedFile, loc: Loc, node: LocationIn | PlaceIn) -> list[Problem]:
    out = []
    if (node.latitude is None) != (node.longitude is None):
        out.append(
            Problem(
                str(item.path), line_of(item.doc, loc + ("latitude",)), f"{node.id}: latitude and longitude go together"
            )
        )
    if node.latitude is not None and not -90 <= node.latitude <= 90:
        out.append(
            Problem(
                str(item.path),
                line_of(item.doc, loc + ("latitude",)),
                f"{node.id}: latitude {node.latitude} is out of range (-90..90)",
            )
        )
    if node.longitude is not None and not -180 <= node.longitude <= 180:
        out.append(
            Problem(
                str(item.path),
                line_of(item.doc, loc + ("longitude",)),
                f"{node.id}: longitude {node.longitude} is out of range (-180..180)",
            )
        )
    return out


def phone_problem(number: str, country: str | None) -> str | None:
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException as error:
        return f"malformed phone {number!r} ({error})"
    if not phonenumbers.is_valid_number(parsed):
        return f"malformed phone {number!r}: not a valid number for {country or 'any country'}"
    return None


def format_phone(number: str, country: str | None) -> str:
    """International format (+359 431 6 23 61), valid for HSDS and for tel: links."""
    parsed = phonenumbers.parse(number, country)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
