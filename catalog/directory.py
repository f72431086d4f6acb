"""The catalogue as people browse it: categories, towns, service cards and the nearest offices.

Read-only queries over the catalogue tables; texts stay multilingual ({lang: text}) and are
picked in the reader's language by whoever shows them. The rows read are kept for a minute: the
catalogue changes only when it is loaded again or an office corrects its facts (which empties
this process's cache at once: `forget`), and most turns read the same few rows.
"""

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from cachetools import TTLCache
from sqlalchemy import Result, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.geo import distance_km, valid
from catalog.models import (
    Address,
    CostOption,
    Location,
    Organization,
    Phone,
    Place,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from catalog.provenance import STALE_MONTHS, Fact
from catalog.texts import Texts, local_texts
from catalog.validation import format_phone
from catalog.vocabulary import WEEKDAYS

# Places people browse by: villages count with their town, districts with their city, and a
# hromada's centre with the hromada (whose services also reach its displaced residents).
ROLLED_UP_KINDS = ("village", "district")
ROLLED_UP_INTO = ("hromada",)
TIMEZONES = {"BG": "Europe/Sofia", "UA": "Europe/Kyiv"}
ACTIVE = "active"
FAX = "fax"  # a phone of this HSDS type is not offered to call
CACHE_SECONDS = 60.0  # how long a catalogue reload may take to show in cards and lists


@dataclass
class Hours:
    days: list[str]  # RFC 5545 weekdays: MO … SU
    opens: dt.time
    closes: dt.time


@dataclass
class Office:
    id: str
    name: Texts
    city: Texts
    address: Texts
    phones: list[str]
    hours: list[Hours]
    hours_note: Texts
    timezone: str
    latitude: float | None = None
    longitude: float | None = None
    distance_km: float | None = None
    approximate: bool = False  # the distance is to the town centre: the office's own point is unknown
    services: list["ServiceItem"] = field(default_factory=list)
    address_fact: Fact | None = None  # where the address (and the office itself) comes from
    phone_facts: list[Fact] = field(default_factory=list)  # one per phone
    phone_descriptions: list[Texts] = field(default_factory=list)  # one per phone: whose line it is
    hours_fact: Fact | None = None  # the oldest of the hours' provenance

    def hours_current(self, moment: dt.datetime) -> bool:
        """The weekly hours are known and no older than STALE_MONTHS at that moment: only such
        hours say whether the office is open."""
        if not self.hours:
            return False
        today = moment.astimezone(ZoneInfo(self.timezone)).date()
        return self.hours_fact is None or not self.hours_fact.stale(today, STALE_MONTHS)

    def open_at(self, moment: dt.datetime) -> bool | None:
        """Open at that moment by the weekly hours; None when the hours are unknown or possibly
        out of date (hours from years ago never make an office "open now")."""
        if not self.hours_current(moment):
            return None
        return self.closes_at(moment) is not None

    def closes_at(self, moment: dt.datetime) -> dt.time | None:
        """When the office closes (local time), if it is open at that moment by the weekly hours."""
        now = moment.astimezone(ZoneInfo(self.timezone)).time()
        return max((h.closes for h in self.hours_today(moment) if h.opens <= now < h.closes), default=None)

    def next_opening(self, moment: dt.datetime) -> dt.datetime | None:
        """When the office next opens (local time) after a moment it is closed; None when unknown
        or possibly out of date."""
        if not self.hours_current(moment):
            return None
        local = moment.astimezone(ZoneInfo(self.timezone))
        for ahead in range(8):
            day = local.date() + dt.timedelta(days=ahead)
            for h in sorted(self.hours_on(day), key=lambda h: h.opens):
                opening = dt.datetime.combine(day, h.opens, ZoneInfo(self.timezone))
                if opening > local:
                    return opening
        return None

    def hours_on(self, day: dt.date) -> list[Hours]:
        return [h for h in self.hours if WEEKDAYS[day.weekday()] in h.days]

    def hours_today(self, moment: dt.datetime) -> list[Hours]:
        """The hours of the day it is at the office at that moment (not the day it is in UTC)."""
        return self.hours_on(moment.astimezone(ZoneInfo(self.timezone)).date())


@dataclass
class ServiceItem:
    id: str
    name: Texts
    target_groups: list[str] = field(default_factory=list)
    min_age: int | None = None
    max_age: int | None = None


@dataclass
class PlaceItem:
    id: str
    name: Texts
    services: int = 0
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class ServiceCard:
    id: str
    name: Texts
    organization: Texts
    description: Texts
    eligibility: Texts
    application: Texts
    alert: Texts
    documents: list[Texts]
    costs: list[Texts]
    phones: list[str]
    url: str | None
    status: str
    target_groups: list[str]
    min_age: int | None
    max_age: int | None
    offices: list[Office]
    sources: list[str]
    assured_date: dt.date | None  # only when a person confirmed it (see `fact`)
    fact: Fact = field(default_factory=Fact)  # where the service's facts come from, and how old
    areas: list[Texts] = field(default_factory=list)  # the names of the places it serves

    @property
    def operating(self) -> bool:
        """Shown as operating: HSDS status active. Closed services (defunct), and services whose
        project ended with no newer source saying they go on (inactive), are not."""
        return self.status == ACTIVE


class Directory:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cache_seconds: float = CACHE_SECONDS,
        timer: Callable[[], float] = time.monotonic,
    ):
        self.sessions = sessions
        self._cache: TTLCache[tuple[Any, ...], Any] | None = (
            TTLCache(maxsize=50_000, ttl=cache_seconds, timer=timer) if cache_seconds else None
        )

    def forget(self) -> None:
        """Drop the rows kept: the catalogue was changed (an office confirmed or corrected its
        facts), and people must see it at once."""
        if self._cache is not None:
            self._cache.clear()

    async def _read(self, key: tuple[Any, ...], query: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """The query's result, from the cache while it is fresh. Results are rows and detached
        records, which nobody changes; the objects handed out are built anew from them."""
        if self._cache is not None and key in self._cache:
            return self._cache[key]
        async with self.sessions() as session:
            result = await query(session)
        if self._cache is not None:
            self._cache[key] = result
        return result

    async def categories(self) -> dict[str, int]:
        """Categories with active services, and how many each has."""
        rows = await self._read(
            ("categories",),
            lambda session: _all(
                session.execute(
                    select(Service.category, func.count()).where(Service.status == ACTIVE).group_by(Service.category)
                )
            ),
        )
        return {category: n for category, n in rows if category}

    async def places(self, category: str | None = None) -> list[PlaceItem]:
        """Towns with active services (of a category), biggest first."""
        return _biggest_first(await self._towns(), await self._by_service(category))

    async def place(self, place_id: str) -> PlaceItem | None:
        place = await self._read(("place", place_id), lambda session: session.get(Place, place_id))
        return place and PlaceItem(place.id, _t(place, "name"), 0, *_point(place))

    async def services(self, category: str | None, place: str | None) -> list[ServiceItem]:
        """Active services of a category in a town (any town when None), by name."""
        by_service = await self._by_service(category)
        ids = [s for s, service_places in by_service.items() if place is None or place in service_places]
        items = await self._items(ids)
        return sorted(items, key=lambda s: (min(s.name.values(), default=""), s.id))

    async def eligible(
        self, groups: set[str], ages: tuple[int, int] | None, place: str | None
    ) -> list[tuple[ServiceItem, list[str]]]:
        """Active services meant for any of the groups and open to the ages, in the town,
        each with the groups that made it match."""
        by_service = await self._by_service(None)
        ids = [s for s, service_places in by_service.items() if place is None or place in service_places]
        found = []
        for item in await self._items(ids):
            matched = [g for g in item.target_groups if g in groups]
            if not matched:
                continue
            if ages and (
                (item.min_age is not None and ages[1] < item.min_age)
                or (item.max_age is not None and ages[0] > item.max_age)
            ):
                continue
            found.append((item, matched))
        found.sort(key=lambda f: (-len(f[1]), min(f[0].name.values(), default="")))
        return found

    async def card(self, service_id: str) -> ServiceCard | None:
        async def query(session: AsyncSession) -> Any:
            service = await session.get(Service, service_id)
            if service is None:
                return None
            organization = await session.get(Organization, service.organization_id)
            documents = (
                await session.scalars(
                    select(RequiredDocument)
                    .where(RequiredDocument.service_id == service_id)
                    .order_by(RequiredDocument.id)
                )
            ).all()
            costs = (
                await session.scalars(
                    select(CostOption).where(CostOption.service_id == service_id).order_by(CostOption.id)
                )
            ).all()
            phones = (
                await session.scalars(
                    select(Phone.number)
                    .where(Phone.service_id == service_id, Phone.type.is_distinct_from(FAX))
                    .order_by(Phone.id)
                )
            ).all()
            location_ids = (
                await session.scalars(
                    select(ServiceAtLocation.location_id)
                    .where(ServiceAtLocation.service_id == service_id)
                    .order_by(ServiceAtLocation.id)
                )
            ).all()
            areas = (
                await session.scalars(
                    select(Place)
                    .join(ServiceArea, ServiceArea.place_id == Place.id)
                    .where(ServiceArea.service_id == service_id)
                    .order_by(ServiceArea.id)
                )
            ).all()
            return service, organization, documents, costs, phones, location_ids, areas

        if (found := await self._read(("card", service_id), query)) is None:
            return None
        service, organization, documents, costs, phones, location_ids, areas = found
        offices = await self._offices(location_ids)
        return ServiceCard(
            id=service.id,
            name=_t(service, "name"),
            organization=_t(organization, "name") if organization else {},
            description=_t(service, "description"),
            eligibility=_t(service, "eligibility_description"),
            application=_t(service, "application_process"),
            alert=_t(service, "alert"),
            documents=[_t(d, "document") for d in documents],
            costs=[_t(c, "option") for c in costs],
            phones=[international(number, None) for number in phones],
            url=service.url,
            status=service.status,
            target_groups=list(service.target_groups or []),
            min_age=service.minimum_age,
            max_age=service.maximum_age,
            offices=[offices[i] for i in location_ids if i in offices],
            sources=list(service.sources or []),
            assured_date=service.assured_date,
            fact=Fact.of(service),
            areas=[_t(place, "name") for place in areas],
        )

    async def office(self, location_id: str) -> Office | None:
        return (await self._offices([location_id])).get(location_id)

    async def nearest(self, latitude: float, longitude: float, limit: int = 3) -> list[Office]:
        """The offices nearest to a point, with their active services. An office whose own
        coordinates are unknown is placed at its town's centre, and marked approximate."""
        towns = {
            p.id: p
            for p in await self._read(
                ("towns",),
                lambda session: _all(
                    session.execute(select(Place.id, Place.latitude, Place.longitude, Place.within_id))
                ),
            )
        }
        points = await self._read(
            ("points",),
            lambda session: _all(
                session.execute(select(Location.id, Location.latitude, Location.longitude, Location.place_id))
            ),
        )

        def town_point(place_id: str | None) -> tuple[float, float] | None:
            for _ in range(5):
                town = towns.get(place_id or "")
                if town is None:
                    return None
                if valid(town.latitude, town.longitude):
                    return town.latitude, town.longitude
                place_id = town.within_id
            return None

        statuses = await self._read(
            ("location statuses",),
            lambda session: _all(
                session.execute(
                    select(ServiceAtLocation.location_id, Service.status).join(
                        Service, Service.id == ServiceAtLocation.service_id
                    )
                )
            ),
        )
        operating, linked = set(), set()
        for location_id, status in statuses:
            linked.add(location_id)
            if status == ACTIVE:
                operating.add(location_id)
        ranked = []
        for p in points:
            if p.id in linked and p.id not in operating:
                continue  # only closed or ended services were given there: nobody should go
            own = valid(p.latitude, p.longitude)
            point = (p.latitude, p.longitude) if own else town_point(p.place_id)
            if point:
                ranked.append((distance_km(latitude, longitude, *point), not own, p.id))
        ranked = sorted(ranked)[:limit]
        offices = await self._offices([i for *_, i in ranked])
        links = await self._read(
            ("links", *offices),
            lambda session: _all(
                session.execute(
                    select(ServiceAtLocation.location_id, ServiceAtLocation.service_id)
                    .join(Service, Service.id == ServiceAtLocation.service_id)
                    .where(ServiceAtLocation.location_id.in_(list(offices)), Service.status == ACTIVE)
                    .order_by(ServiceAtLocation.id)
                )
            ),
        )
        items = {s.id: s for s in await self._items([link.service_id for link in links])}
        for link in links:
            offices[link.location_id].services.append(items[link.service_id])
        for km, approximate, location_id in ranked:
            offices[location_id].distance_km, offices[location_id].approximate = km, approximate
        return [offices[i] for *_, i in ranked]

    async def _offices(self, location_ids: list[str]) -> dict[str, Office]:
        if not location_ids:
            return {}

        async def query(session: AsyncSession) -> Any:
            locations = (await session.scalars(select(Location).where(Location.id.in_(location_ids)))).all()
            place_ids = {loc.place_id for loc in locations if loc.place_id}
            addresses = (
                await session.scalars(select(Address).where(Address.location_id.in_(location_ids)).order_by(Address.id))
            ).all()
            phones = (
                await session.scalars(
                    select(Phone)
                    .where(Phone.location_id.in_(location_ids), Phone.type.is_distinct_from(FAX))
                    .order_by(Phone.id)
                )
            ).all()
            schedules = (
                await session.scalars(
                    select(Schedule).where(Schedule.location_id.in_(location_ids)).order_by(Schedule.id)
                )
            ).all()
            places = (await session.scalars(select(Place).where(Place.id.in_(place_ids)))).all()
            towns = {p.within_id for p in places if p.kind == "district" and p.within_id}
            parents = (await session.scalars(select(Place).where(Place.id.in_(towns)))).all() if towns else []
            return locations, addresses, phones, schedules, [*places, *parents]

        locations, addresses, phones, schedules, place_list = await self._read(("offices", *location_ids), query)
        places = {p.id: p for p in place_list}
        address: dict[str, Address] = {}
        for a in addresses:
            address.setdefault(a.location_id, a)
        numbers, phone_facts, phone_descriptions = defaultdict(list), defaultdict(list), defaultdict(list)
        countries = {
            loc.id: (places[loc.place_id].country if loc.place_id in places else None)
            or (address[loc.id].country if loc.id in address else None)
            for loc in locations
        }
        for p in phones:
            numbers[p.location_id].append(international(p.number, countries.get(p.location_id)))
            phone_facts[p.location_id].append(Fact.of(p))
            phone_descriptions[p.location_id].append(_t(p, "description"))
        hours, hours_facts, notes, zones = defaultdict(list), defaultdict(list), {}, {}
        for s in schedules:
            if s.byday and s.opens_at and s.closes_at:
                hours[s.location_id].append(
                    Hours(s.byday.split(","), dt.time.fromisoformat(s.opens_at), dt.time.fromisoformat(s.closes_at))
                )
                hours_facts[s.location_id].append(Fact.of(s))
            if s.notes:
                notes[s.location_id] = _t(s, "notes")
            if s.timezone:
                zones[s.location_id] = s.timezone
        offices = {}
        for loc in locations:
            place, a = places.get(loc.place_id or ""), address.get(loc.id)
            country = countries[loc.id]
            offices[loc.id] = Office(
                id=loc.id,
                name=_t(loc, "name"),
                city=_town(place, places) if place else (_t(a, "city") if a else {}),
                address=_t(a, "address_1") if a else {},
                phones=numbers[loc.id],
                hours=hours[loc.id],
                hours_note=notes.get(loc.id, {}),
                timezone=zones.get(loc.id) or TIMEZONES.get(country or "", "Europe/Sofia"),
                latitude=loc.latitude,
                longitude=loc.longitude,
                address_fact=Fact.of(a or loc),
                phone_facts=phone_facts[loc.id],
                phone_descriptions=phone_descriptions[loc.id],
                hours_fact=_oldest(hours_facts[loc.id]),
            )
        return offices

    async def _towns(self) -> dict[str, PlaceItem]:
        """Every browsable town's name and point."""
        towns, _ = await self._read(("service places",), _service_towns)
        return {
            id_: PlaceItem(id_, dict(name), 0, latitude, longitude)
            for id_, (name, latitude, longitude) in towns.items()
        }

    async def _by_service(self, category: str | None) -> dict[str, frozenset[str]]:
        """The towns each active service (of a category) is in: where its offices are and the
        areas it serves."""
        _, services = await self._read(("service places",), _service_towns)
        return {s: found for s, (c, found) in services.items() if not category or c == category}

    async def service_ids(self, place: str) -> set[str]:
        """The active services in a town."""
        by_service = await self._by_service(None)
        return {s for s, found in by_service.items() if place in found}

    async def towns_of(self, service_ids: set[str]) -> dict[str, list[PlaceItem]]:
        """The towns each of these active services is in, the town with most services first."""
        if not service_ids:
            return {}
        by_service = await self._by_service(None)
        towns = {p.id: p for p in _biggest_first(await self._towns(), by_service)}
        rank = {place_id: i for i, place_id in enumerate(towns)}
        return {
            s: [towns[t] for t in sorted(by_service[s] & towns.keys(), key=rank.__getitem__)]
            for s in service_ids
            if s in by_service
        }

    async def _items(self, ids: list[str]) -> list[ServiceItem]:
        async def query(session: AsyncSession) -> Any:
            return [
                row
                for start in range(0, len(ids), 500)
                for row in (
                    await session.execute(
                        select(
                            Service.id,
                            Service.translations["name"].label("names"),
                            Service.name,
                            Service.target_groups,
                            Service.minimum_age,
                            Service.maximum_age,
                        ).where(Service.id.in_(ids[start : start + 500]))
                    )
                ).all()
            ]

        return [
            ServiceItem(
                r.id,
                local_texts({"name": r.names}, "name", r.name),
                list(r.target_groups or []),
                r.minimum_age,
                r.maximum_age,
            )
            for r in await self._read(("items", *ids), query)
        ]


def where(town: str | None, address: str | None) -> str:
    """An office's place in words: the town and the address, each part said once ("Дарницький
    район, Дарницький район (…)" and "Кропивницький, вул. …, м. Кропивницький" would repeat it)."""
    address = (address or "").strip()
    stems = {word[:STEM] for word in _words(address)}
    parts = [
        part
        for i, part in enumerate((town or "").split(", "))
        if part
        and not _says(address, part)
        # a district the address names in other words ("Дарницки район" and "Район Дарница")
        and not (i and any(word[:STEM] in stems for word in _words(part)))
    ]
    return ", ".join([*parts, *([address] if address else [])])


STEM = 5  # letters two words of one name share: "Дарницки" and "Дарница"


def _tokens(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text.casefold()).split()


def _words(text: str) -> list[str]:
    return [w for w in _tokens(text) if len(w) >= STEM and w.isalpha()]


def _says(text: str, name: str) -> bool:
    """Whether a text names a place, as whole words ("м. Кропивницький", not "Самоковско")."""
    words, named = _tokens(text), _tokens(name)
    return bool(named) and any(words[i : i + len(named)] == named for i in range(len(words) - len(named) + 1))


def international(number: str, country: str | None) -> str:
    """A phone number in international form (+359 431 6 23 61), which every channel can dial from
    a tap; as it is when it cannot be read as a number."""
    if number.startswith("+"):
        return number
    try:
        return format_phone(number, country or "BG")
    except phonenumbers.NumberParseException:
        return number


def _town(place: Place, places: dict[str, Place]) -> Texts:
    """A place's name as an address starts with it: a city's district after its city ("Київ,
    Дарницький район")."""
    names = _t(place, "name")
    town = places.get(place.within_id or "") if place.kind == "district" else None
    if town is None:
        return names
    town_names = _t(town, "name")
    return {lang: ", ".join(x for x in (town_names.get(lang), name) if x) for lang, name in names.items()}


def _oldest(facts: list[Fact]) -> Fact | None:
    """The fact of the oldest date (an unknown date first): what hours from several sources are
    as current as."""
    return min(facts, key=lambda f: f.earliest_day or dt.date.min, default=None)


async def _all(result: Awaitable[Result[Any]]) -> list[Any]:
    return list((await result).all())


def _point(place: Any) -> tuple[float | None, float | None]:
    return (place.latitude, place.longitude) if valid(place.latitude, place.longitude) else (None, None)


def _biggest_first(places: dict[str, PlaceItem], by_service: dict[str, frozenset[str]]) -> list[PlaceItem]:
    """The towns with services, most services first, each with how many."""
    counts: dict[str, int] = defaultdict(int)
    for service_places in by_service.values():
        for place in service_places:
            counts[place] += 1
    for item in places.values():
        item.services = counts.get(item.id, 0)
    return sorted((p for p in places.values() if p.services), key=lambda p: (-p.services, p.id))


async def _service_towns(
    session: AsyncSession,
) -> tuple[dict[str, tuple[Texts, float | None, float | None]], dict[str, tuple[str | None, frozenset[str]]]]:
    """Every place's name and point, and each active service's category and towns. Read once
    for every category: a copy of the places per category took megabytes with a large catalogue."""
    place_rows = (
        await session.execute(
            select(
                Place.id, Place.kind, Place.within_id, Place.translations, Place.name, Place.latitude, Place.longitude
            )
        )
    ).all()
    active = Service.status == ACTIVE
    at = await session.execute(
        select(ServiceAtLocation.service_id, Location.place_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .where(active)
    )
    areas = await session.execute(
        select(ServiceArea.service_id, ServiceArea.place_id)
        .join(Service, Service.id == ServiceArea.service_id)
        .where(active)
    )
    categories = dict((await session.execute(select(Service.id, Service.category).where(active))).all())
    within = {p.id: (p.kind, p.within_id) for p in place_rows}

    def town(place_id: str | None) -> str | None:
        for _ in range(5):  # gazetteers are shallow; this also stops a cycle
            kind, parent = within.get(place_id or "", (None, None))
            if not parent or (kind not in ROLLED_UP_KINDS and within.get(parent, (None,))[0] not in ROLLED_UP_INTO):
                break
            place_id = parent
        return place_id if place_id in within else None

    found: dict[str, set[str]] = {s: set() for s in categories}
    for service_id, place_id in [*at, *areas]:
        if service_id in found and (place := town(place_id)) is not None:
            found[service_id].add(place)
    shared: dict[frozenset[str], frozenset[str]] = {}  # most services of a town have the same towns
    towns = {p.id: (local_texts(p.translations, "name", p.name), *_point(p)) for p in place_rows}
    return towns, {s: (categories[s], shared.setdefault(f := frozenset(places), f)) for s, places in found.items()}


def _t(record: Any, field_name: str) -> Texts:
    return local_texts(record.translations, field_name, getattr(record, field_name, None))
