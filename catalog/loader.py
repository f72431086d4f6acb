"""Loading the checked YAML catalogue into the database: in one transaction, idempotently."""

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.models import (
    Address,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    Place,
    Provider,
    Queue,
    Record,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceTerms,
)
from catalog.schema import LocalText, PhoneIn, PlaceIn, Provenance, ProviderFile, QueueIn
from catalog.validation import Catalog, format_phone

PRIMARY_LANGUAGE = {"BG": "bg", "UA": "uk"}
Row = Record | Queue  # what a load writes
# What is worked out from the catalogue and stored beside it, in the load's own transaction (the
# search terms: the composition root passes catalog.search.terms.store_terms; the catalogue does
# not know the search engine).
AfterLoad = Callable[[AsyncSession], Awaitable[None]]


def texts(model: type[Record], lang: str, **fields: LocalText | None) -> dict[str, Any]:
    """HSDS columns in the record's own language, plus the `translations` extension
    (which also holds texts HSDS has no column for, such as a location's `serves_note`)."""
    present = {name: text for name, text in fields.items() if text is not None}
    columns: dict[str, Any] = {name: text.as_dict().get(lang) for name, text in present.items() if hasattr(model, name)}
    columns["translations"] = {name: text.as_dict() for name, text in present.items()}
    return columns


def provenance(node: Provenance, parent: Provenance | None = None) -> dict[str, Any]:
    """A record's sources with their date, and its confirmation (when and who). Phones and
    schedules without a source of their own have their parent's sources and date; without a
    confirmation of their own, their parent's."""
    cited = parent if parent is not None and not node.sources() else node
    confirmed = parent if parent is not None and node.assured_date is None else node
    return {
        "sources": cited.sources(),
        "source_date": cited.source_date,
        "assured_date": confirmed.assured_date,
        "assured_by": (confirmed.assured_by.as_dict() if confirmed.assured_by else None),
    }


def with_provenance(
    model: type[Record], lang: str, node: Provenance, parent: Provenance | None = None, **fields: LocalText | None
) -> dict[str, Any]:
    """A record's texts (`texts`) and provenance; who confirmed it is a text like the others."""
    found = provenance(node, parent)
    who = found.pop("assured_by")
    columns = texts(model, lang, **fields)
    if who:
        columns["assured_by"] = who.get(lang) or next(iter(who.values()))
        columns["translations"]["assured_by"] = who
    return {**columns, **found}


def build_records(catalog: Catalog) -> list[Row]:
    places = {p.id: p for p in catalog.places}
    out: list[Row] = [
        Place(
            id=p.id,
            country=p.country,
            kind=p.kind,
            within_id=p.within,
            latitude=p.latitude,
            longitude=p.longitude,
            aliases=p.aliases.model_dump(),
            **with_provenance(Place, PRIMARY_LANGUAGE[p.country], p, name=p.name),
        )
        for p in catalog.places
    ]
    for pf in catalog.providers:
        out += _provider_records(pf, places)
    return out


def _provider_records(pf: ProviderFile, places: dict[str, PlaceIn]) -> list[Row]:
    prov = pf.provider
    lang, country = PRIMARY_LANGUAGE[prov.country], prov.country

    def phones(items: list[PhoneIn], parent: Provenance, owner: str, **ref: str) -> list[Record]:
        return [
            Phone(
                id=f"{owner}-phone-{i}",
                number=format_phone(p.number, country),
                type=p.type,
                **ref,
                **with_provenance(Phone, lang, p, parent, description=p.description),
            )
            for i, p in enumerate(items, 1)
        ]

    out: list[Row] = [
        Provider(
            id=prov.id, country=country, place_id=prov.place, **with_provenance(Provider, lang, prov, name=prov.name)
        )
    ]
    for org in pf.organizations:
        out.append(
            Organization(
                id=org.id,
                provider_id=prov.id,
                parent_organization_id=org.parent,
                website=org.website,
                email=org.email,
                **with_provenance(
                    Organization,
                    lang,
                    org,
                    name=org.name,
                    alternate_name=org.alternate_name,
                    description=org.description,
                ),
            )
        )
        out += phones(org.phones, org, org.id, organization_id=org.id)

    for loc in pf.locations:
        serves = loc.serves
        out.append(
            Location(
                id=loc.id,
                organization_id=loc.organization,
                place_id=loc.place,
                latitude=loc.latitude,
                longitude=loc.longitude,
                serves_areas=list(serves.areas) if serves else [],
                serves_groups=[str(g) for g in serves.target_groups] if serves else [],
                **with_provenance(
                    Location,
                    lang,
                    loc,
                    name=loc.name,
                    description=loc.description,
                    transportation=loc.transportation,
                    serves_note=serves.note if serves else None,
                ),
            )
        )
        if loc.address:
            out.append(
                Address(
                    id=f"{loc.id}-address",
                    location_id=loc.id,
                    postal_code=loc.postal_code,
                    country=country,
                    **with_provenance(
                        Address,
                        lang,
                        loc.address_provenance or loc,
                        loc if loc.address_provenance else None,
                        address_1=loc.address,
                        city=places[loc.place].name,
                    ),
                )
            )
        out += phones(loc.phones, loc, loc.id, location_id=loc.id)
        for i, s in enumerate(loc.schedule, 1):
            out.append(
                Schedule(
                    id=f"{loc.id}-schedule-{i}",
                    location_id=loc.id,
                    freq="WEEKLY",
                    wkst="MO",
                    byday=",".join(s.days),
                    opens_at=f"{s.opens}:00",
                    closes_at=f"{s.closes}:00",
                    **with_provenance(Schedule, lang, s, loc, description=s.note),
                )
            )
        if loc.schedule_note:
            out.append(
                Schedule(
                    id=f"{loc.id}-schedule-note",
                    location_id=loc.id,
                    **with_provenance(Schedule, lang, loc, notes=loc.schedule_note),
                )
            )

    for svc in pf.services:
        elig = svc.eligibility
        out.append(
            Service(
                id=svc.id,
                organization_id=svc.organization,
                status=str(svc.status),
                url=svc.url,
                email=svc.email,
                category=str(svc.category),
                minimum_age=elig.min_age,
                maximum_age=elig.max_age,
                target_groups=[str(g) for g in elig.target_groups],
                residence=str(elig.residence) if elig.residence else None,
                synonyms={k: v for k, v in svc.synonyms.model_dump().items() if v},
                **with_provenance(
                    Service,
                    lang,
                    svc,
                    name=svc.name,
                    alternate_name=svc.alternate_name,
                    description=svc.description,
                    eligibility_description=elig.text,
                    application_process=svc.application_process,
                    alert=svc.alert,
                ),
            )
        )

        def prov_svc(model: type[Record], **fields: LocalText | None) -> dict[str, Any]:
            return with_provenance(model, lang, svc, None, **fields)  # noqa: B023 (used at once)

        out += [
            ServiceAtLocation(
                id=f"{svc.id}@{loc_id}", service_id=svc.id, location_id=loc_id, **prov_svc(ServiceAtLocation)
            )
            for loc_id in svc.locations
        ]
        out += [
            RequiredDocument(id=f"{svc.id}-document-{i}", service_id=svc.id, **prov_svc(RequiredDocument, document=doc))
            for i, doc in enumerate(svc.documents, 1)
        ]
        out += [
            CostOption(
                id=f"{svc.id}-cost-{i}",
                service_id=svc.id,
                amount=c.amount,
                currency=c.currency,
                **prov_svc(CostOption, option=c.description),
            )
            for i, c in enumerate(svc.costs, 1)
        ]
        out += [
            ServiceArea(
                id=f"{svc.id}-area-{area}",
                service_id=svc.id,
                place_id=area,
                extent_type="place",
                **prov_svc(ServiceArea, name=places[area].name),
            )
            for area in svc.areas
        ]
        out += [
            Language(id=f"{svc.id}-language-{code}", service_id=svc.id, code=code, **prov_svc(Language))
            for code in svc.languages
        ]
        out += phones(svc.phones, svc, svc.id, service_id=svc.id)
    queues = pf.queues or [QueueIn(id=prov.id, name=prov.name, default=True)]
    out += [
        Queue(
            id=q.id,
            provider_id=prov.id,
            location_id=q.office,
            services=list(q.services),
            is_default=q.default,
            name=q.name.as_dict().get(lang, ""),
            translations={"name": q.name.as_dict(), "canned": [c.as_dict() for c in q.canned]},
        )
        for q in queues
    ]
    return out


@dataclass(frozen=True)
class Conflict:
    """An office's fact that staff confirmed after the file's: the file says otherwise (or
    without that confirmation)."""

    location_id: str
    fact: str  # address, phones, hours
    confirmed: str  # what the database holds, and who confirmed it when
    file: str  # what the file says
    kept: bool  # the confirmed fact was kept (no --force)


@dataclass
class LoadReport:
    counts: dict[str, int]
    conflicts: list[Conflict] = field(default_factory=list)

    def __str__(self) -> str:
        return ", ".join(f"{n} {table}" for table, n in self.counts.items())


Fact = Address | Phone | Schedule
FACTS: dict[str, type[Fact]] = {"address": Address, "phones": Phone, "hours": Schedule}


def _group(records: Sequence[Row], fact: str, location_id: str) -> list[Fact]:
    model = FACTS[fact]
    found = [
        r
        for r in records
        if isinstance(r, model) and r.location_id == location_id and (not isinstance(r, Schedule) or r.byday)
    ]
    return sorted(found, key=lambda r: (len(r.id), r.id))


def _content(group: list[Fact]) -> list[Any]:
    return [
        (r.translations or {}).get("address_1")
        if isinstance(r, Address)
        else (r.number, r.type)
        if isinstance(r, Phone)
        else (r.byday, r.opens_at, r.closes_at)
        for r in group
    ]


def _describe(group: list[Fact]) -> str:
    if not group:
        return "none"
    if isinstance(group[0], Address):
        return " / ".join(str(r.address_1) for r in group if isinstance(r, Address))
    return ", ".join(
        r.number if isinstance(r, Phone) else f"{r.byday} {(r.opens_at or '')[:5]}-{(r.closes_at or '')[:5]}"
        for r in group
        if not isinstance(r, Address)
    )


def _newest(group: list[Fact]) -> dt.date | None:
    return max((r.assured_date for r in group if r.assured_date), default=None)


async def _keep_confirmed(session: AsyncSession, records: list[Row], force: bool) -> tuple[list[Row], list[Conflict]]:
    """Offices' facts (address, phones, hours) that a person confirmed after the file's newest
    confirmation of them are kept as they are in the database, unless `force`: each such fact
    that the file changes is a conflict. Kept records replace the file's."""
    locations = {r.id: r for r in records if isinstance(r, Location)}
    if not locations:
        return records, []
    stored: list[Row] = []
    for model in FACTS.values():
        stored += (await session.scalars(select(model).where(model.location_id.in_(list(locations))))).all()
    stored_locations = {
        r.id: r for r in (await session.scalars(select(Location).where(Location.id.in_(list(locations))))).all()
    }
    session.expunge_all()
    conflicts, drop, keep = [], set(), []
    for location_id, location in locations.items():
        for fact in FACTS:
            old, new = _group(stored, fact, location_id), _group(records, fact, location_id)
            confirmed, filed = _newest(old), _newest(new)
            if confirmed is None or (filed is not None and filed >= confirmed):
                continue
            differs = _content(old) != _content(new)
            who = next((r.assured_by for r in old if r.assured_date == confirmed), "") or ""
            if differs:
                conflicts.append(
                    Conflict(
                        location_id,
                        fact,
                        f"{_describe(old)} (confirmed by {who} on {confirmed.isoformat()})",
                        _describe(new),
                        not force,
                    )
                )
            if force:
                continue
            drop |= {id(r) for r in new}
            keep += [type(r)(**{c.key: getattr(r, c.key) for c in r.__mapper__.column_attrs}) for r in old]
            if fact == "address" and location_id in stored_locations:  # the point goes with the address
                location.latitude = stored_locations[location_id].latitude
                location.longitude = stored_locations[location_id].longitude
    return [r for r in records if id(r) not in drop] + keep, conflicts


async def load_catalog(
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    force: bool = False,
    after_load: AfterLoad | None = None,
) -> LoadReport:
    """Replace the catalogue of the given providers and places, all or nothing (with what
    `after_load` stores). An office's address, phones or hours that staff confirmed after the
    file's facts are kept (and each such fact the file would change is reported), unless `force`."""
    records = build_records(catalog)
    async with sessions() as session, session.begin():
        records, conflicts = await _keep_confirmed(session, records, force)
        await _delete_providers(session, [pf.provider.id for pf in catalog.providers])
        await session.execute(delete(Place).where(Place.id.in_([p.id for p in catalog.places])))
        session.add_all(records)
        await session.flush()
        if after_load:
            await after_load(session)
    counts: dict[str, int] = {}
    for record in records:
        counts[record.__tablename__] = counts.get(record.__tablename__, 0) + 1
    return LoadReport(counts, conflicts)


async def _delete_providers(session: AsyncSession, provider_ids: list[str]) -> None:
    orgs = select(Organization.id).where(Organization.provider_id.in_(provider_ids))
    services = select(Service.id).where(Service.organization_id.in_(orgs))
    locations = select(Location.id).where(Location.organization_id.in_(orgs))
    by_service_or_location = {
        ServiceAtLocation: or_(
            ServiceAtLocation.service_id.in_(services), ServiceAtLocation.location_id.in_(locations)
        ),
        Phone: or_(Phone.service_id.in_(services), Phone.location_id.in_(locations), Phone.organization_id.in_(orgs)),
        Schedule: or_(Schedule.service_id.in_(services), Schedule.location_id.in_(locations)),
        Language: or_(Language.service_id.in_(services), Language.location_id.in_(locations)),
        Address: Address.location_id.in_(locations),
        ServiceArea: ServiceArea.service_id.in_(services),
        RequiredDocument: RequiredDocument.service_id.in_(services),
        CostOption: CostOption.service_id.in_(services),
        ServiceTerms: ServiceTerms.service_id.in_(services),
    }
    for model, condition in by_service_or_location.items():
        await session.execute(delete(model).where(condition))
    await session.execute(delete(Service).where(Service.organization_id.in_(orgs)))
    await session.execute(delete(Location).where(Location.organization_id.in_(orgs)))
    await session.execute(delete(Organization).where(Organization.provider_id.in_(provider_ids)))
    await session.execute(delete(Provider).where(Provider.id.in_(provider_ids)))
    await session.execute(delete(Queue).where(Queue.provider_id.in_(provider_ids)))
