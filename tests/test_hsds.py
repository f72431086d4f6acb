"""HSDS 3: import the official example, export our catalogue, and round trips."""

import csv
import json
import shutil

import pytest
from frictionless import Package, system
from sqlalchemy import select
from support.catalog_helpers import HSDS_EXAMPLE, snapshot

from catalog import SEED_DATA
from catalog.hsds import RESOURCES, HsdsImportError, columns, export_csv, export_json, hsds_fields, import_csv
from catalog.loader import load_catalog
from catalog.models import Location, Service, ServiceTerms
from catalog.search.terms import store_terms
from catalog.validation import load_checked


def read_rows(path):
    with path.open(encoding="utf-8", newline="") as src:
        return list(csv.DictReader(src))


async def test_importing_the_official_example(db):
    report = await import_csv(db, HSDS_EXAMPLE)
    assert report.counts["service"] == 1 and report.counts["location"] == 1
    async with db() as session:
        service = await session.get(Service, "ac148810-d857-441c-9679-408f346de14b")
        location = await session.get(Location, "3a19ff88-4620-4d17-9830-ac1d859eb5d5")
    assert service.name == "Community Counselling" and service.minimum_age == 12
    assert location.latitude == 100  # kept as given, with a warning
    assert any("locations.csv:2: location.latitude 100" in str(w) for w in report.warnings)


async def test_import_then_export_loses_nothing_the_model_holds(db, tmp_path):
    await import_csv(db, HSDS_EXAMPLE)
    await export_csv(db, tmp_path / "out")
    for name, model in RESOURCES.items():
        path = json.loads((HSDS_EXAMPLE / "datapackage.json").read_text())["resources"]
        file = next(r["path"] for r in path if r["name"] == name)
        held = [f for f in hsds_fields(name) if f in columns(model)]
        original = [{f: row[f] for f in held} for row in read_rows(HSDS_EXAMPLE / file)]
        exported = [{f: row[f] for f in held} for row in read_rows(tmp_path / "out" / file)]
        assert exported == original, name


async def test_importing_twice_is_idempotent(db):
    await import_csv(db, HSDS_EXAMPLE, after_load=store_terms)
    first = await snapshot(db)
    await import_csv(db, HSDS_EXAMPLE, after_load=store_terms)
    assert await snapshot(db) == first
    async with db() as session:  # the answer engine's terms, replaced with their services
        assert (await session.scalars(select(ServiceTerms.service_id))).all() == [
            "ac148810-d857-441c-9679-408f346de14b"
        ]


async def test_the_seed_export_is_a_valid_hsds_datapackage(db, tmp_path):
    await load_catalog(db, load_checked(SEED_DATA))
    counts = await export_csv(db, tmp_path / "out")
    assert counts["service"] > 40
    with system.use_context(trusted=True):
        report = Package(str(tmp_path / "out" / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


async def test_seed_export_then_import_restores_the_same_catalogue(db, tmp_path):
    await load_catalog(db, load_checked(SEED_DATA))
    before = await snapshot(db)
    await export_csv(db, tmp_path / "out")
    async with db() as session, session.begin():
        for model in reversed(list(RESOURCES.values())):
            await session.execute(model.__table__.delete())
    await import_csv(db, tmp_path / "out")
    assert await snapshot(db) == before


async def test_json_export_carries_translations(db, tmp_path):
    await load_catalog(db, load_checked(SEED_DATA))
    count = await export_json(db, tmp_path / "catalog.json")
    services = json.loads((tmp_path / "catalog.json").read_text(encoding="utf-8"))
    assert len(services) == count
    patronage = next(s for s in services if s["x_opora"]["key"] == "kazanlak-home-patronage")
    assert patronage["status"] == "active"
    assert set(patronage["x_opora"]["translations"]["name"]) >= {"bg", "uk"}
    assert patronage["organization"]["name"]


async def test_a_broken_datapackage_imports_nothing(db, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(HSDS_EXAMPLE, broken)
    text = (broken / "locations.csv").read_text(encoding="utf-8").replace(",100,101,", ",north,101,")
    (broken / "locations.csv").write_text(text, encoding="utf-8")
    with pytest.raises(HsdsImportError) as error:
        await import_csv(db, broken)
    assert f"{broken / 'locations.csv'}:2: location.latitude: 'north' is not a valid" in str(error.value)
    assert all(rows == [] for rows in (await snapshot(db)).values())


async def test_export_keeps_the_sources_date_apart_from_a_confirmation(db, tmp_path):
    """HSDS `assured_date` means a person checked the service: nobody did, so it stays empty; the
    sources' dates travel in the extension."""
    await load_catalog(db, load_checked(SEED_DATA))
    await export_csv(db, tmp_path / "out")
    assert {row["assured_date"] for row in read_rows(tmp_path / "out" / "services.csv")} == {""}
    extension = {
        (row["entity"], json.loads(row["data"])["key"]): json.loads(row["data"])
        for row in read_rows(tmp_path / "out" / "x_opora.csv")
    }
    assert extension[("service", "kazanlak-home-patronage")]["source_date"] == "2026-01-28"
    assert extension[("service", "pazardzhik-temporary-shelter")]["source_date"] == "2022-05-31"
    assert extension[("phone", "kazanlak-home-patronage-office-phone-1")]["source_date"] == "2020"
    assert extension[("service", "kazanlak-home-patronage")]["assured_by"] is None
