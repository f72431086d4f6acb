"""`opora catalog export --format yaml DIR`: the catalogue as provider files, staff corrections
included, to review as a diff against catalog/data and to commit there.

The YAML files stay the source of the catalogue; what changes in the database is what offices
confirm or correct from their staff chats: their addresses, phones and hours, and who confirmed
them when. So the export starts from the YAML files (by default the seed's) and writes those
facts of every office as the database holds them. Everything else keeps its text, key order,
comments and style (ruamel.yaml round trip), so that the diff shows only what staff changed.
"""

import datetime as dt
import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.models import Address, Location, Phone, Schedule
from catalog.validation import catalog_files, format_phone

# An office's provenance, which its phones and hours share unless they have their own:
# sources, source date, confirmation date.
Inherited = tuple[list[str], str | None, dt.date | None]


def yaml() -> YAML:
    y = YAML(typ="rt")
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    y.preserve_quotes = True
    y.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return y


def _number(record_id: str) -> int:
    tail = record_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _flow(mapping: dict[str, Any]) -> CommentedMap:
    node = CommentedMap(mapping)
    node.fa.set_flow_style()
    return node


def _text(texts: dict[str, str] | None) -> CommentedMap | None:
    texts = {k: v for k, v in (texts or {}).items() if k in ("bg", "uk", "en") and v}
    return _flow(texts) if texts else None


def _date(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _as_written(source_date: str | None) -> Any:
    """A source's date as the seed files write it: 2020, 2020-05 or 2020-05-04 (unquoted)."""
    if source_date is None or len(source_date) == 7:
        return source_date
    return int(source_date) if len(source_date) == 4 else dt.date.fromisoformat(source_date)


def _same_date(a: Any, b: Any) -> bool:
    return _date(a) == _date(b)


def _sources(node: Any) -> list[str]:
    source = node.get("source") if node is not None else None
    if source is None:
        return []
    return [str(source)] if isinstance(source, str) else [str(s) for s in source]


class _Office:
    """An office's rows in the database."""

    def __init__(self, location: Location, address: Address | None, phones: list[Phone], hours: list[Schedule]):
        self.location, self.address, self.phones, self.hours = location, address, phones, hours


async def _offices(sessions: async_sessionmaker[AsyncSession]) -> dict[str, _Office]:
    async with sessions() as session:
        locations = (await session.scalars(select(Location))).all()
        addresses = (await session.scalars(select(Address).order_by(Address.id))).all()
        phones = (await session.scalars(select(Phone).where(Phone.location_id.is_not(None)))).all()
        schedules = (
            await session.scalars(
                select(Schedule).where(Schedule.location_id.is_not(None), Schedule.byday.is_not(None))
            )
        ).all()
    offices = {}
    for location in locations:
        offices[location.id] = _Office(
            location,
            next((a for a in addresses if a.location_id == location.id), None),
            sorted((p for p in phones if p.location_id == location.id), key=lambda p: _number(p.id)),
            sorted((s for s in schedules if s.location_id == location.id), key=lambda s: _number(s.id)),
        )
    return offices


async def export_yaml(sessions: async_sessionmaker[AsyncSession], base: Path, target: Path) -> dict[str, int]:
    """Write every YAML file of `base` to the directory `target`, with each office's address,
    phones and hours (and their provenance) as the database holds them. Returns how many
    offices changed in each file."""
    target.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (a command, nothing else runs)
    offices = await _offices(sessions)
    changed = {}
    for file in catalog_files(base):
        y = yaml()
        doc = y.load(file.read_text(encoding="utf-8"))
        count = 0
        if isinstance(doc, CommentedMap) and "provider" in doc:
            country = str(doc["provider"].get("country", ""))
            for node in doc.get("locations") or []:
                office = offices.get(str(node.get("id")))
                if office is not None and _write_office(node, office, country):
                    count += 1
        out = io.StringIO()
        y.dump(doc, out)
        (target / file.name).write_text(out.getvalue(), encoding="utf-8")
        changed[file.name] = count
    return changed


def _write_office(node: CommentedMap, office: _Office, country: str) -> bool:
    """Patch one location's node; True when anything changed."""
    before = _snapshot(node)
    location, address = office.location, office.address
    _set(node, "assured_date", location.assured_date, after="source_date")
    _set(
        node,
        "assured_by",
        _text((location.translations or {}).get("assured_by")) if location.assured_date else None,
        after="assured_date",
    )
    inherited = (list(location.sources or []), location.source_date, location.assured_date)

    texts = (address.translations or {}).get("address_1") if address is not None else None
    if _plain(node.get("address")) != _plain(texts):
        _set(node, "address", _text(texts), after="place")
    own = _own(address, inherited) if address is not None else {}
    old = node.get("address_provenance")
    if not (own and isinstance(old, CommentedMap) and _same_provenance(old, own)):
        _set(node, "address_provenance", CommentedMap(own) if own else None, after="address")
    for key in ("latitude", "longitude"):
        value = getattr(location, key)
        if node.get(key) != value:
            _set(node, key, value, after="address" if key == "latitude" else "latitude")

    old_phones = list(node.get("phones") or [])
    phones = CommentedSeq()
    for i, phone in enumerate(office.phones):
        old = old_phones[i] if i < len(old_phones) else None
        phones.append(_phone(old, phone, country, inherited))
    if phones != old_phones or len(phones) != len(old_phones):
        _set(node, "phones", phones if phones else None, after="longitude")

    old_hours = list(node.get("schedule") or [])
    hours = CommentedSeq()
    for i, schedule in enumerate(office.hours):
        old = old_hours[i] if i < len(old_hours) else None
        hours.append(_schedule(old, schedule, inherited))
    if hours != old_hours or len(hours) != len(old_hours):
        _set(node, "schedule", hours if hours else None, after="phones")
    return _snapshot(node) != before


def _own(record: Phone | Schedule | Address, inherited: Inherited) -> dict[str, Any]:
    """The provenance keys a phone or hours entry needs of its own: none when it is its
    office's; else its source and date, and its confirmation (a fact with a source of its own
    takes no confirmation from its office)."""
    sources, source_date, assured = inherited
    if (
        list(record.sources or []) == sources
        and record.source_date == source_date
        and _same_date(record.assured_date, assured)
    ):
        return {}
    own: dict[str, Any] = {
        "source": record.sources[0] if len(record.sources or []) == 1 else list(record.sources or []),
        "source_date": _as_written(record.source_date),
    }
    if record.assured_date:
        own["assured_date"] = record.assured_date
        own["assured_by"] = _text((record.translations or {}).get("assured_by"))
    return own


def _same_provenance(old: Any, own: dict[str, Any]) -> bool:
    if not own:
        return not _sources(old)
    return (
        _sources(old) == ([own["source"]] if isinstance(own["source"], str) else own["source"])
        and _date(old.get("source_date")) == _date(own["source_date"])
        and _same_date(old.get("assured_date"), own.get("assured_date"))
    )


def _phone(old: Any, phone: Phone, country: str, inherited: Inherited) -> Any:
    own = _own(phone, inherited)
    if (
        isinstance(old, CommentedMap)
        and _same_number(old.get("number"), phone.number, country)
        and _plain(old.get("description")) == _plain((phone.translations or {}).get("description"))
        and _same_provenance(old, own)
    ):
        return old  # as written, with its comments
    node = CommentedMap(number=phone.number)
    if description := _text((phone.translations or {}).get("description")):
        node["description"] = description
    if phone.type == "fax":
        node["type"] = "fax"
    node.update(own)
    return node


def _schedule(old: Any, schedule: Schedule, inherited: Inherited) -> Any:
    own = _own(schedule, inherited)
    # _offices() reads only hours with days; opening times are always set with them
    days = (schedule.byday or "").split(",")
    opens, closes = (schedule.opens_at or "")[:5], (schedule.closes_at or "")[:5]
    if (
        isinstance(old, CommentedMap)
        and list(old.get("days") or []) == days
        and old.get("opens") == opens
        and old.get("closes") == closes
        and _same_provenance(old, own)
    ):
        return old
    node = CommentedMap(
        days=_flow_list(days), opens=DoubleQuotedScalarString(opens), closes=DoubleQuotedScalarString(closes)
    )
    if note := _text((schedule.translations or {}).get("description")):
        node["note"] = note
    node.update(own)
    if own:
        return node
    node.fa.set_flow_style()
    return node


def _flow_list(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _same_number(written: Any, stored: str, country: str) -> bool:
    try:
        return format_phone(str(written), country) == stored
    except Exception:
        return False


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _snapshot(node: Any) -> str:
    return repr(_plain(node))


def _set(node: CommentedMap, key: str, value: Any, after: str) -> None:
    """Set, replace or remove a key, placing a new key after `after` (or the nearest key before
    it in the seed files' order) so that the file keeps its usual order."""
    if value is None or (isinstance(value, list) and not value):
        if key in node:
            del node[key]
        return
    if key in node:
        if _plain(node[key]) != _plain(value) or type(node[key]) is not type(value):
            node[key] = value
        return
    keys = list(node.keys())
    order = [
        "id",
        "organization",
        "name",
        "description",
        "place",
        "postal_code",
        "address",
        "address_provenance",
        "latitude",
        "longitude",
        "transportation",
        "phones",
        "schedule",
        "schedule_note",
        "serves",
        "source",
        "source_date",
        "assured_date",
        "assured_by",
    ]
    position = len(keys)
    if key in order:
        later = set(order[order.index(key) + 1 :])
        position = next((i for i, k in enumerate(keys) if k in later), len(keys))
    node.insert(position, key, value)
    if position == len(keys) and keys and keys[-1] in node.ca.items:
        # what follows the last key (a blank line before the next record) follows the new one
        node.ca.items[key] = node.ca.items.pop(keys[-1])
