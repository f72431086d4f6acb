"""Open Referral HSDS 3: export to a tabular datapackage or JSON, and import a datapackage.

HSDS ids are UUIDs. Records of the YAML catalogue have readable ids ("kazanlak-home-patronage");
they are exported as name-based UUIDs (uuid5) and the readable id travels, with every Opora
extension (translations, provenance, eligibility, synonyms, places), in the extra resource
`x_opora` (x_opora.csv), which HSDS tools ignore. Import reverses both.
"""

import csv
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, overload

from sqlalchemy import JSON, Date, Float, Integer, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from catalog.loader import AfterLoad
from catalog.models import (
    Address,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    Place,
    Provider,
    Record,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceTerms,
)
from catalog.validation import Problem

HSDS_DATAPACKAGE = Path(__file__).with_name("hsds_datapackage.json")
OPORA_NAMESPACE = uuid.UUID("5f0c3b8e-2a61-4d0e-9a51-6f7c0e1d2b44")
RESOURCES: dict[str, type[Record]] = {
    "organization": Organization,
    "service": Service,
    "location": Location,
    "service_at_location": ServiceAtLocation,
    "address": Address,
    "phone": Phone,
    "schedule": Schedule,
    "language": Language,
    "service_area": ServiceArea,
    "required_document": RequiredDocument,
    "cost_option": CostOption,
}
EXTENSION_ONLY: dict[str, type[Record]] = {"opora_place": Place, "opora_provider": Provider}
EXTENSION: dict[str, Any] = {
    "name": "x_opora",
    "path": "x_opora.csv",
    "format": "csv",
    "mediatype": "text/csv",
    "profile": "tabular-data-resource",
    "description": "Opora extension: readable ids, translations (bg/uk/en), provenance, "
    "structured eligibility, synonyms and places. HSDS tools may ignore it.",
    "schema": {
        "fields": [
            {"name": "entity", "type": "string"},
            {"name": "id", "type": "string"},
            {"name": "data", "type": "string", "format": "default"},
        ]
    },
}


@cache
def hsds_package() -> dict[str, Any]:
    package: dict[str, Any] = json.loads(HSDS_DATAPACKAGE.read_text(encoding="utf-8"))
    return package


@cache
def hsds_resource(name: str) -> dict[str, Any]:
    resource: dict[str, Any] = next(r for r in hsds_package()["resources"] if r["name"] == name)
    return resource


def hsds_fields(name: str) -> list[str]:
    return [f["name"] for f in hsds_resource(name)["schema"]["fields"]]


def required_fields(name: str) -> list[str]:
    return [f["name"] for f in hsds_resource(name)["schema"]["fields"] if f.get("constraints", {}).get("required")]


def columns(model: type[Record]) -> dict[str, Any]:
    return {c.key: c.type for c in model.__table__.columns}


@overload
def hsds_id(value: str) -> str: ...
@overload
def hsds_id(value: None) -> None: ...
def hsds_id(value: str | None) -> str | None:
    if not value:
        return value
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return str(uuid.uuid5(OPORA_NAMESPACE, value))


def _is_ref(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _hsds_row(name: str, record: Record) -> dict[str, Any]:
    row = {}
    for f in hsds_fields(name):
        value = getattr(record, f, None)
        row[f] = hsds_id(value) if _is_ref(f) else value
    if name == "organization" and not row.get("description"):
        row["description"] = row["name"]  # HSDS requires one; ours may be unknown
    return row


def _extension_data(name: str, record: Record) -> dict[str, Any]:
    hsds = set(hsds_fields(name)) if name in RESOURCES else set()
    data = {"key": record.id}
    for key in columns(type(record)):
        if key not in hsds and key != "id":
            data[key] = _json_value(getattr(record, key))
    return data


def _complete(name: str, row: dict[str, Any]) -> bool:
    return all(row.get(f) not in (None, "") for f in required_fields(name))


async def _all(sessions: async_sessionmaker[AsyncSession], model: type[Record]) -> list[Record]:
    async with sessions() as session:
        return list((await session.scalars(select(model).order_by(model.id))).all())


async def export_csv(sessions: async_sessionmaker[AsyncSession], out_dir: Path) -> dict[str, int]:
    """Write an HSDS 3 tabular datapackage. Records lacking a field HSDS requires (an address
    without a known postal code) stay out of the HSDS tables; x_opora keeps them whole."""
    out_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (a command, nothing else runs)
    counts: dict[str, int] = {}
    extension_rows: list[list[str]] = []
    resources = []
    for name, model in RESOURCES.items():
        descriptor = hsds_resource(name)
        rows = []
        for record in await _all(sessions, model):
            row = _hsds_row(name, record)
            data = _extension_data(name, record)
            if _complete(name, row):
                rows.append(row)
            else:
                data["hsds_omitted"] = {k: _json_value(getattr(record, k)) for k in columns(model)}
            extension_rows.append([name, hsds_id(record.id), json.dumps(data, ensure_ascii=False)])
        _write_csv(
            out_dir / descriptor["path"], hsds_fields(name), [[_cell(r[f]) for f in hsds_fields(name)] for r in rows]
        )
        resources.append(descriptor)
        counts[name] = len(rows)
    for descriptor in hsds_package()["resources"]:
        if descriptor["name"] not in RESOURCES:  # tables Opora does not hold: header only
            _write_csv(out_dir / descriptor["path"], hsds_fields(descriptor["name"]), [])
            resources.append(descriptor)
    for name, model in EXTENSION_ONLY.items():
        for record in await _all(sessions, model):
            data = {k: _json_value(getattr(record, k)) for k in columns(model)}
            data["key"] = record.id
            extension_rows.append([name, record.id, json.dumps(data, ensure_ascii=False)])
    _write_csv(out_dir / EXTENSION["path"], ["entity", "id", "data"], extension_rows)
    counts["x_opora"] = len(extension_rows)
    package = {k: v for k, v in hsds_package().items() if k != "resources"}
    package["resources"] = resources + [EXTENSION]
    (out_dir / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    return counts


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


async def export_json(sessions: async_sessionmaker[AsyncSession], out_file: Path) -> int:
    """HSDS 3 JSON: a list of service objects with their organization, locations and details,
    each carrying its Opora extension under `x_opora`."""

    def obj(name: str, record: Record, **nested: Any) -> dict[str, Any]:
        row = {k: _json_value(v) for k, v in _hsds_row(name, record).items()}
        return {**row, **nested, "x_opora": _extension_data(name, record)}

    async with sessions() as session:
        services = (
            await session.scalars(
                select(Service)
                .order_by(Service.id)
                .options(
                    selectinload(Service.organization),
                    selectinload(Service.phones),
                    selectinload(Service.schedules),
                    selectinload(Service.service_areas),
                    selectinload(Service.languages),
                    selectinload(Service.cost_options),
                    selectinload(Service.required_documents),
                    selectinload(Service.at_locations)
                    .selectinload(ServiceAtLocation.location)
                    .options(
                        selectinload(Location.addresses),
                        selectinload(Location.phones),
                        selectinload(Location.schedules),
                    ),
                )
            )
        ).all()
        documents = []
        for s in services:
            documents.append(
                obj(
                    "service",
                    s,
                    organization=obj("organization", s.organization) if s.organization else None,
                    phones=[obj("phone", p) for p in s.phones],
                    schedules=[obj("schedule", x) for x in s.schedules],
                    service_areas=[obj("service_area", a) for a in s.service_areas],
                    languages=[obj("language", x) for x in s.languages],
                    cost_options=[obj("cost_option", c) for c in s.cost_options],
                    required_documents=[obj("required_document", d) for d in s.required_documents],
                    service_at_locations=[
                        obj(
                            "service_at_location",
                            sal,
                            location=obj(
                                "location",
                                sal.location,
                                addresses=[obj("address", a) for a in sal.location.addresses],
                                phones=[obj("phone", p) for p in sal.location.phones],
                                schedules=[obj("schedule", x) for x in sal.location.schedules],
                            )
                            if sal.location
                            else None,
                        )
                        for sal in s.at_locations
                    ],
                )
            )
    out_file.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(documents, ensure_ascii=False, indent=2)
    out_file.write_text(text, encoding="utf-8")  # noqa: ASYNC240 (a command, nothing else runs)
    return len(documents)


@dataclass
class ImportReport:
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


class HsdsImportError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def _convert(kind: Any, value: str) -> Any:
    if value == "":
        return None
    if isinstance(kind, Integer):
        return int(float(value))
    if isinstance(kind, Float):
        return float(value)
    if isinstance(kind, Date):
        return dt.date.fromisoformat(value[:10])
    if isinstance(kind, JSON):
        return json.loads(value)
    return value


def _read_csv(path: Path, problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as src:
            reader = csv.DictReader(src)
            return [(reader.line_num, row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        problems.append(Problem(str(path), 0, f"cannot read: {error}"))
        return []


async def import_csv(
    sessions: async_sessionmaker[AsyncSession], src_dir: Path, after_load: AfterLoad | None = None
) -> ImportReport:
    """Import an HSDS 3 tabular datapackage, all or nothing (with what `after_load` stores).
    Importing again replaces the same records, so it is idempotent."""
    problems: list[Problem] = []
    report = ImportReport()
    paths = _resource_paths(src_dir, problems)
    extension: dict[tuple[str, str], dict[str, Any]] = {}
    ext_path = src_dir / EXTENSION["path"]
    if ext_path.exists():
        for line, row in _read_csv(ext_path, problems):
            try:
                extension[(row["entity"], row["id"])] = json.loads(row["data"])
            except (KeyError, TypeError, json.JSONDecodeError) as error:
                problems.append(Problem(str(ext_path), line, f"bad extension row: {error}"))
    keys = {hid: data["key"] for (_, hid), data in extension.items() if "key" in data}

    rows_by_model: dict[type[Record], list[dict[str, Any]]] = {}
    origins: dict[tuple[type[Record], str], tuple[str, int]] = {}
    for name, model in RESOURCES.items():
        kinds = columns(model)
        wanted = [f for f in hsds_fields(name) if f in kinds]
        rows: list[dict[str, Any]] = []
        path = paths.get(name)
        for line, raw in _read_csv(path, problems) if path and path.exists() else []:
            values: dict[str, Any] = {}
            for f in wanted:
                text = raw.get(f) or ""
                text = "" if not text.strip() else text
                try:
                    values[f] = _convert(kinds[f], text)
                except (ValueError, json.JSONDecodeError):
                    problems.append(Problem(str(path), line, f"{name}.{f}: {text!r} is not a valid {kinds[f]}"))
            if not values.get("id"):
                problems.append(Problem(str(path), line, f"{name}: id is required"))
                continue
            ext = extension.get((name, values["id"]), {})
            values.update({k: v for k, v in _decoded(model, ext).items() if k != "id"})
            for k in list(values):
                if _is_ref(k) and values[k] in keys:
                    values[k] = keys[values[k]]
            rows.append(_with_defaults(model, values))
            origins[(model, values["id"])] = (str(path), line)
            report.warnings += _warnings(name, values, str(path), line)
        for (entity, _hid), data in extension.items():
            if entity == name and "hsds_omitted" in data:
                rows.append(
                    _with_defaults(
                        model,
                        {
                            **_decoded(model, data["hsds_omitted"]),
                            **_decoded(model, {k: v for k, v in data.items() if k in kinds}),
                        },
                    )
                )
        rows_by_model[model] = rows
    for (entity, _), data in extension.items():
        if entity in EXTENSION_ONLY:
            model = EXTENSION_ONLY[entity]
            rows_by_model.setdefault(model, []).append(
                _with_defaults(model, _decoded(model, {k: v for k, v in data.items() if k in columns(model)}))
            )
    if problems:
        raise HsdsImportError(problems)
    report.warnings += _dangling(rows_by_model, origins)

    async with sessions() as session, session.begin():
        for model, rows in rows_by_model.items():
            ids = [r["id"] for r in rows]
            for start in range(0, len(ids), 500):
                await session.execute(delete(model).where(model.id.in_(ids[start : start + 500])))
                if model is Service:
                    await session.execute(
                        delete(ServiceTerms).where(ServiceTerms.service_id.in_(ids[start : start + 500]))
                    )
            for start in range(0, len(rows), 1000):
                if rows[start : start + 1000]:
                    await session.execute(insert(model), rows[start : start + 1000])
            report.counts[model.__tablename__] = len(rows)
        if after_load:
            await after_load(session)
    return report


def _decoded(model: type[Record], data: dict[str, Any]) -> dict[str, Any]:
    kinds = columns(model)
    return {
        k: (dt.date.fromisoformat(v) if isinstance(kinds[k], Date) and isinstance(v, str) else v)
        for k, v in data.items()
        if k in kinds
    }


_EMPTY = {
    "translations": dict,
    "sources": list,
    "target_groups": list,
    "serves_areas": list,
    "serves_groups": list,
    "synonyms": dict,
    "aliases": dict,
}
_DEFAULTS = {"status": "active", "location_type": "physical", "address_type": "physical"}


def _with_defaults(model: type[Record], values: dict[str, Any]) -> dict[str, Any]:
    """Every column present, so that rows of one table can be inserted in one batch."""
    row = {}
    for key in columns(model):
        value = values.get(key)
        if value is None:
            value = _EMPTY[key]() if key in _EMPTY else _DEFAULTS.get(key)
        row[key] = value
    return row


def _resource_paths(src_dir: Path, problems: list[Problem]) -> dict[str, Path]:
    package = src_dir / "datapackage.json"
    if not package.exists():
        return {name: src_dir / hsds_resource(name)["path"] for name in RESOURCES}
    try:
        descriptors = json.loads(package.read_text(encoding="utf-8"))["resources"]
        return {r["name"]: src_dir / r["path"] for r in descriptors if r.get("name") in RESOURCES}
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        problems.append(Problem(str(package), 1, f"not a datapackage descriptor: {error}"))
        return {}


_REFERENCES = {
    "organization_id": Organization,
    "service_id": Service,
    "location_id": Location,
    "service_at_location_id": ServiceAtLocation,
}


def _dangling(
    rows_by_model: dict[type[Record], list[dict[str, Any]]], origins: dict[tuple[type[Record], str], tuple[str, int]]
) -> list[Problem]:
    """References to records the datapackage does not hold: kept as given, reported."""
    ids = {model: {r["id"] for r in rows_by_model.get(model, [])} for model in _REFERENCES.values()}
    out = []
    for model, rows in rows_by_model.items():
        for row in rows:
            for column, target in _REFERENCES.items():
                value = row.get(column)
                if value and value not in ids[target]:
                    path, line = origins.get((model, row["id"]), (EXTENSION["path"], 0))
                    out.append(
                        Problem(
                            path,
                            line,
                            f"{model.__tablename__}.{column} {value} refers to "
                            f"a {target.__tablename__} that is not in the datapackage; kept as given",
                        )
                    )
    return out


def _warnings(name: str, values: dict[str, Any], path: str, line: int) -> list[Problem]:
    out = []
    lat, lon = values.get("latitude"), values.get("longitude")
    if lat is not None and not -90 <= lat <= 90:
        out.append(Problem(path, line, f"{name}.latitude {lat} is out of range; kept as given, not used for distances"))
    if lon is not None and not -180 <= lon <= 180:
        out.append(
            Problem(path, line, f"{name}.longitude {lon} is out of range; kept as given, not used for distances")
        )
    return out
