"""SQLAlchemy 2 models of the catalogue, named after Open Referral HSDS 3.

HSDS columns keep their HSDS names and hold the text in the record's original language.
Everything HSDS lacks is an Opora extension, marked `# ext:` below:
- `translations`: {field: {lang: text}} for every user-facing field, in bg, uk (and en);
- provenance on every record: `sources` (the first is the main one), `source_date` (when that
  source published the facts: YYYY, YYYY-MM or YYYY-MM-DD) and `assured_by` (who confirmed
  them); `assured_date` (when a person confirmed them) is HSDS on service, an extension elsewhere;
- structured eligibility on services (category, target groups, residence), synonyms;
- `place_id` and `serves_*` on locations, the gazetteer (`opora_place`) and providers.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Record(Base):
    """Provenance and translations, which every catalogue record carries (ext)."""

    __abstract__ = True
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)  # ext
    sources: Mapped[list[str]] = mapped_column(default=list)  # ext
    assured_date: Mapped[dt.date | None] = mapped_column(Date)  # ext except on service: a person confirmed it
    source_date: Mapped[str | None] = mapped_column(String(10))  # ext: when the main source published it
    assured_by: Mapped[str | None] = mapped_column(Text)  # ext: who confirmed it (all languages in translations)


def ref() -> Mapped[Any]:
    """A reference column. HSDS data may hold references that dangle (the official example
    does), so references are indexed but not database foreign keys; `catalog validate`
    checks them for our own files, and `import-hsds` reports them."""
    return mapped_column(String(100), index=True, nullable=True)


class Provider(Record):
    """ext: a municipality or hromada whose catalogue file this record came from."""

    __tablename__ = "opora_provider"
    country: Mapped[str] = mapped_column(String(2))
    place_id: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(Text)


class Queue(Base):
    """A staff queue (Opora extension): where a provider's help requests go."""

    __tablename__ = "opora_queue"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(100))
    location_id: Mapped[str | None] = mapped_column(String(100))
    services: Mapped[list[str]] = mapped_column(default=list)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(Text)
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)  # name and canned texts


class Place(Record):
    """ext: the gazetteer of towns, villages and communities."""

    __tablename__ = "opora_place"
    country: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(Text)
    aliases: Mapped[dict[str, Any]] = mapped_column(default=dict)
    within_id: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class Organization(Record):
    __tablename__ = "organization"
    name: Mapped[str] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(Text)
    parent_organization_id: Mapped[str | None] = mapped_column(String(100))
    provider_id: Mapped[str | None] = mapped_column(String(100))  # ext

    phones: Mapped[list["Phone"]] = relationship(
        primaryjoin="and_(Organization.id == foreign(Phone.organization_id),"
        " Phone.location_id.is_(None), Phone.service_id.is_(None))",
        viewonly=True,
    )


class Service(Record):
    __tablename__ = "service"
    organization_id: Mapped[str] = ref()
    name: Mapped[str] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    wait_time: Mapped[str | None] = mapped_column(Text)
    fees: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    assurer_email: Mapped[str | None] = mapped_column(Text)
    licenses: Mapped[str | None] = mapped_column(Text)
    alert: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(40))  # ext
    target_groups: Mapped[list[str]] = mapped_column(default=list)  # ext
    residence: Mapped[str | None] = mapped_column(String(40))  # ext
    synonyms: Mapped[dict[str, Any]] = mapped_column(default=dict)  # ext: {lang: [words]}

    organization: Mapped[Organization | None] = relationship(
        primaryjoin="foreign(Service.organization_id) == Organization.id", viewonly=True
    )
    at_locations: Mapped[list["ServiceAtLocation"]] = relationship(
        primaryjoin="Service.id == foreign(ServiceAtLocation.service_id)", viewonly=True
    )
    required_documents: Mapped[list["RequiredDocument"]] = relationship(
        primaryjoin="Service.id == foreign(RequiredDocument.service_id)", viewonly=True
    )
    cost_options: Mapped[list["CostOption"]] = relationship(
        primaryjoin="Service.id == foreign(CostOption.service_id)", viewonly=True
    )
    service_areas: Mapped[list["ServiceArea"]] = relationship(
        primaryjoin="Service.id == foreign(ServiceArea.service_id)", viewonly=True
    )
    languages: Mapped[list["Language"]] = relationship(
        primaryjoin="Service.id == foreign(Language.service_id)", viewonly=True
    )
    phones: Mapped[list["Phone"]] = relationship(
        primaryjoin="and_(Service.id == foreign(Phone.service_id), Phone.location_id.is_(None))",
        viewonly=True,
    )
    schedules: Mapped[list["Schedule"]] = relationship(
        primaryjoin="and_(Service.id == foreign(Schedule.service_id), Schedule.location_id.is_(None))",
        viewonly=True,
    )


class Location(Record):
    __tablename__ = "location"
    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    url: Mapped[str | None] = mapped_column(Text)
    organization_id: Mapped[str | None] = ref()
    name: Mapped[str | None] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    external_identifier: Mapped[str | None] = mapped_column(Text)
    external_identifier_type: Mapped[str | None] = mapped_column(Text)
    place_id: Mapped[str | None] = mapped_column(String(100))  # ext
    serves_areas: Mapped[list[str]] = mapped_column(default=list)  # ext: place ids
    serves_groups: Mapped[list[str]] = mapped_column(default=list)  # ext: target groups

    organization: Mapped[Organization | None] = relationship(
        primaryjoin="foreign(Location.organization_id) == Organization.id", viewonly=True
    )
    addresses: Mapped[list["Address"]] = relationship(
        primaryjoin="Location.id == foreign(Address.location_id)", viewonly=True
    )
    phones: Mapped[list["Phone"]] = relationship(primaryjoin="Location.id == foreign(Phone.location_id)", viewonly=True)
    schedules: Mapped[list["Schedule"]] = relationship(
        primaryjoin="Location.id == foreign(Schedule.location_id)", viewonly=True
    )


class ServiceAtLocation(Record):
    __tablename__ = "service_at_location"
    service_id: Mapped[str] = ref()
    location_id: Mapped[str] = ref()
    description: Mapped[str | None] = mapped_column(Text)

    location: Mapped[Location | None] = relationship(
        primaryjoin="foreign(ServiceAtLocation.location_id) == Location.id", viewonly=True
    )


class Address(Record):
    __tablename__ = "address"
    location_id: Mapped[str | None] = ref()
    attention: Mapped[str | None] = mapped_column(Text)
    address_1: Mapped[str | None] = mapped_column(Text)
    address_2: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    state_province: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    address_type: Mapped[str] = mapped_column(String(20), default="physical")


class Phone(Record):
    __tablename__ = "phone"
    location_id: Mapped[str | None] = ref()
    service_id: Mapped[str | None] = ref()
    organization_id: Mapped[str | None] = ref()
    contact_id: Mapped[str | None] = mapped_column(String(100))
    service_at_location_id: Mapped[str | None] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(Text)
    extension: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class Schedule(Record):
    __tablename__ = "schedule"
    service_id: Mapped[str | None] = ref()
    location_id: Mapped[str | None] = ref()
    service_at_location_id: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[str | None] = mapped_column(Text)
    valid_to: Mapped[str | None] = mapped_column(Text)
    dtstart: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str | None] = mapped_column(Text)
    until: Mapped[str | None] = mapped_column(Text)
    count: Mapped[str | None] = mapped_column(Text)
    wkst: Mapped[str | None] = mapped_column(Text)
    freq: Mapped[str | None] = mapped_column(Text)
    interval: Mapped[str | None] = mapped_column(Text)
    byday: Mapped[str | None] = mapped_column(Text)
    byweekno: Mapped[str | None] = mapped_column(Text)
    bymonthday: Mapped[str | None] = mapped_column(Text)
    byyearday: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    opens_at: Mapped[str | None] = mapped_column(Text)
    closes_at: Mapped[str | None] = mapped_column(Text)
    schedule_link: Mapped[str | None] = mapped_column(Text)
    attending_type: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class Language(Record):
    __tablename__ = "language"
    service_id: Mapped[str | None] = ref()
    location_id: Mapped[str | None] = ref()
    phone_id: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class ServiceArea(Record):
    __tablename__ = "service_area"
    service_id: Mapped[str | None] = ref()
    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)
    place_id: Mapped[str | None] = mapped_column(String(100))  # ext


class RequiredDocument(Record):
    __tablename__ = "required_document"
    service_id: Mapped[str | None] = ref()
    document: Mapped[str | None] = mapped_column(Text)
    uri: Mapped[str | None] = mapped_column(Text)


class CostOption(Record):
    __tablename__ = "cost_option"
    service_id: Mapped[str] = ref()
    valid_from: Mapped[str | None] = mapped_column(Text)
    valid_to: Mapped[str | None] = mapped_column(Text)
    option: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[float | None] = mapped_column(Float)
    amount_description: Mapped[str | None] = mapped_column(Text)


class Term(Base):
    """ext: the numbers of the terms and words in `ServiceTerms`: 0, 1, 2… in the order met,
    never renumbered."""

    __tablename__ = "opora_term"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text, unique=True)


class ServiceTerms(Base):
    """ext: a service's texts as the answer engine indexes them, worked out when the catalogue
    is loaded (catalog.search.terms), so that start-up need not analyse them again."""

    __tablename__ = "opora_service_terms"
    service_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(40))  # of the analysis; another one's are stale
    numbered: Mapped[int] = mapped_column(Integer)  # how many terms were numbered: all it uses
    terms: Mapped[bytes] = mapped_column(LargeBinary)  # int32 each: term number << 3 | field
    words: Mapped[bytes] = mapped_column(LargeBinary)  # int32 each: word number << 2 | language


# Catalogue tables in dependency order: parents before children (load, delete in reverse).
CATALOG_MODELS: tuple[type[Record], ...] = (
    Place,
    Provider,
    Organization,
    Service,
    Location,
    ServiceAtLocation,
    Address,
    Phone,
    Schedule,
    Language,
    ServiceArea,
    RequiredDocument,
    CostOption,
)
