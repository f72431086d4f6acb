"""The shape of the human-editable YAML catalogue files (catalog/data/*.yaml).

Each provider file holds one provider (a municipality or hromada) with its organizations,
locations and services. `places.yaml` is the shared gazetteer of towns and villages.
Unknown facts are simply left out: a missing phone, address or schedule stays unknown.
"""

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from catalog import provenance
from catalog.vocabulary import WEEKDAYS, Category, Residence, ServiceStatus, TargetGroup

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
# 50 characters at most: "staff:topic:<id>" must fit a Telegram button (64 bytes).
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=50)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LocalText(Strict):
    """One user-facing text in every catalogue language. bg and uk are required."""

    bg: str | None = None
    uk: str | None = None
    en: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {lang: text for lang, text in self.model_dump().items() if text}


class LocalList(Strict):
    """Words per language, such as synonyms. Each language may have its own count."""

    bg: list[str] = []
    uk: list[str] = []
    en: list[str] = []
    ru: list[str] = []  # Russian words people use; understood, never shown


# When a source published a fact, as precisely as it says: 2022, 2022-10 or 2022-10-11.
SourceDate = Annotated[str | None, BeforeValidator(provenance.source_date)]


class Provenance(Strict):
    """Where a fact comes from: its sources (the first is the one `source_date` dates, and the
    one cards name), when that source published it, and, only when a person confirmed the fact,
    when and who (HSDS `assured_date`)."""

    source: str | list[str] | None = None
    source_date: SourceDate = None
    assured_date: dt.date | None = None
    assured_by: LocalText | None = None  # the office (or person) that confirmed the fact

    def sources(self) -> list[str]:
        if self.source is None:
            return []
        return [self.source] if isinstance(self.source, str) else list(self.source)


class PhoneIn(Provenance):
    number: str
    type: Literal["voice", "fax"] = "voice"  # HSDS phone.type; a fax is never shown to call
    description: LocalText | None = None


class ScheduleIn(Provenance):
    """Weekly opening hours: the days share opens/closes."""

    days: list[str]
    opens: str
    closes: str
    note: LocalText | None = None

    @field_validator("days")
    @classmethod
    def known_days(cls, days: list[str]) -> list[str]:
        bad = [d for d in days if d not in WEEKDAYS]
        if bad or not days:
            raise ValueError(f"days must be among {', '.join(WEEKDAYS)}, got {days}")
        return days

    @field_validator("opens", "closes")
    @classmethod
    def clock_time(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f"time must be HH:MM, got {value!r}")
        return value


class ServesIn(Strict):
    """Whom an office serves beyond its own town, e.g. people displaced from a hromada."""

    areas: list[Id] = []
    target_groups: list[TargetGroup] = []
    note: LocalText | None = None


class OrganizationIn(Provenance):
    id: Id
    name: LocalText
    alternate_name: LocalText | None = None
    description: LocalText | None = None
    website: str | None = None
    email: str | None = None
    parent: Id | None = None
    phones: list[PhoneIn] = []


class LocationIn(Provenance):
    id: Id
    organization: Id
    name: LocalText
    description: LocalText | None = None
    place: Id
    address: LocalText | None = None
    address_provenance: Provenance | None = None  # the address's own, e.g. when its office corrected it
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    transportation: LocalText | None = None
    phones: list[PhoneIn] = []
    schedule: list[ScheduleIn] = []
    schedule_note: LocalText | None = None
    serves: ServesIn | None = None


class EligibilityIn(Strict):
    target_groups: list[TargetGroup] = []
    min_age: int | None = Field(None, ge=0, le=130)
    max_age: int | None = Field(None, ge=0, le=130)
    residence: Residence | None = None
    text: LocalText | None = None


class CostIn(Strict):
    """One cost option; amount 0 means free. No costs listed means the cost is unknown."""

    amount: float | None = Field(None, ge=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    description: LocalText


class ServiceIn(Provenance):
    id: Id
    organization: Id
    category: Category
    status: ServiceStatus = ServiceStatus.ACTIVE
    name: LocalText
    alternate_name: LocalText | None = None
    description: LocalText
    eligibility: EligibilityIn = EligibilityIn()
    application_process: LocalText | None = None
    documents: list[LocalText] = []
    costs: list[CostIn] = []
    alert: LocalText | None = None
    url: str | None = None
    email: str | None = None
    languages: list[str] = []
    areas: list[Id] = []
    locations: list[Id] = []
    phones: list[PhoneIn] = []
    synonyms: LocalList = LocalList()


class ProviderIn(Provenance):
    """A municipality or hromada whose social services a file describes."""

    id: Id
    country: str = Field(pattern=r"^(BG|UA)$")
    place: Id
    name: LocalText


class QueueIn(Strict):
    """A staff queue of the provider: help requests about its services go there. Operational
    settings rather than sourced facts, so no source is required. A provider without queues
    gets one default queue named after it."""

    id: Id
    name: LocalText
    office: Id | None = None  # a location: its hours tell people when staff answer
    services: list[Id] = []  # the topics routed here; the default queue takes the rest
    default: bool = False
    canned: list[LocalText] = []  # ready answers staff can send in the citizen's language


class ProviderFile(Strict):
    provider: ProviderIn
    organizations: list[OrganizationIn] = []
    locations: list[LocationIn] = []
    services: list[ServiceIn] = []
    queues: list[QueueIn] = []


class PlaceIn(Provenance):
    """A town, village, city or community (hromada) in the gazetteer."""

    id: Id
    country: str = Field(pattern=r"^(BG|UA)$")
    kind: str = Field(pattern=r"^(city|town|village|municipality|hromada|district)$")
    name: LocalText
    aliases: LocalList = LocalList()
    within: Id | None = None
    latitude: float | None = None
    longitude: float | None = None


class PlacesFile(Strict):
    places: list[PlaceIn]
