"""`catalog load`: idempotent and atomic, on SQLite and PostgreSQL."""

import shutil

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from support.catalog_helpers import snapshot

from catalog import SEED_DATA
from catalog.loader import load_catalog
from catalog.models import Location, Phone, Service, ServiceTerms
from catalog.search.index import build_index
from catalog.search.morphology import Morphology
from catalog.search.terms import analysis_version, store_terms
from catalog.validation import CatalogError, load_checked


async def test_loading_twice_leaves_the_same_content(db):
    catalog = load_checked(SEED_DATA)
    await load_catalog(db, catalog)
    first = await snapshot(db)
    await load_catalog(db, catalog)
    assert await snapshot(db) == first
    assert len(first["service"]) == sum(len(p.services) for p in catalog.providers)


async def test_every_record_keeps_its_source_and_nobody_has_confirmed_the_seed(db):
    await load_catalog(db, load_checked(SEED_DATA))
    dated = 0
    for table, rows in (await snapshot(db)).items():
        for row in rows:
            assert row["sources"], f"{table} {row['id']} has no source"
            dated += row["source_date"] is not None
            if table != "opora_place":  # the gazetteer is not a provider's fact
                assert row["assured_date"] is None and row["assured_by"] is None, f"{table} {row['id']}"
    assert dated > 100
    async with db() as session:
        phone = await session.get(Phone, "kazanlak-home-patronage-office-phone-1")
        office = await session.get(Location, "kazanlak-home-patronage-office")
    assert (phone.number, phone.source_date, phone.sources[0]) == (
        "+359 88 460 0281",
        "2020",
        "https://vestnikiskra.com/obshtinata/udaljavat-sroka-za-uslugata-topal-obyad/",
    )
    assert office.source_date == "2018-04-30"  # the address's own source, not the phones'


async def test_texts_are_stored_in_both_languages(db):
    await load_catalog(db, load_checked(SEED_DATA))
    async with db() as session:
        services = (await session.scalars(select(Service))).all()
    for service in services:
        for field in ("name", "description"):
            assert {"bg", "uk"} <= set(service.translations[field]), (service.id, field)


async def test_a_bad_file_loads_nothing(db, tmp_path):
    await load_catalog(db, load_checked(SEED_DATA))
    before = await snapshot(db)
    data = tmp_path / "data"
    shutil.copytree(SEED_DATA, data)
    broken = data / "bg-kazanlak.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("older_people", "oldies", 1), encoding="utf-8")
    with pytest.raises(CatalogError) as error:
        load_checked(data)
    assert "bg-kazanlak.yaml:" in str(error.value) and "unknown target group 'oldies'" in str(error.value)
    assert await snapshot(db) == before


async def test_a_database_error_midway_rolls_everything_back(db):
    catalog = load_checked(SEED_DATA)
    await load_catalog(db, catalog)
    before = await snapshot(db)
    # A record imported from elsewhere already holds the id of a phone this load will insert.
    phone = before["phone"][0]
    async with db() as session, session.begin():
        await session.execute(
            Phone.__table__.update()
            .where(Phone.id == phone["id"])
            .values(location_id=None, service_id=None, organization_id="hsds-import")
        )
    changed = await snapshot(db)
    with pytest.raises(IntegrityError):
        await load_catalog(db, catalog)
    assert await snapshot(db) == changed


async def test_offices_know_whom_they_serve(db):
    await load_catalog(db, load_checked(SEED_DATA))
    async with db() as session:
        dnipro = await session.get(Location, "kramatorsk-tercentre-dnipro")
    assert dnipro.place_id == "dnipro"
    assert "kramatorsk-hromada" in dnipro.serves_areas and "idp" in dnipro.serves_groups


def _contents(index) -> tuple:
    ids = [s.id for s in index.services]
    return (
        {
            term: sorted(zip((ids[d] for d in docs.tolist()), weights.tolist()))
            for term, (docs, weights) in index.postings.items()
        },
        index.vocabulary,
        index.language_words,
    )


async def test_what_is_stored_after_a_load_is_stored_in_its_transaction(db):
    catalog = load_checked(SEED_DATA)
    await load_catalog(db, catalog)
    before = await snapshot(db)

    async def fails(session):
        assert await session.get(Service, "kazanlak-home-patronage")  # it sees the load's rows
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        await load_catalog(db, load_checked(SEED_DATA), after_load=fails)
    assert await snapshot(db) == before


async def test_the_engine_reads_the_terms_stored_at_load_and_a_reload_replaces_them(db, tmp_path):
    await load_catalog(db, load_checked(SEED_DATA), after_load=store_terms)
    data = tmp_path / "data"
    shutil.copytree(SEED_DATA, data)
    kazanlak = data / "bg-kazanlak.yaml"
    kazanlak.write_text(
        kazanlak.read_text(encoding="utf-8").replace("Общината носи топъл обяд", "Общината носи гореща лазаня", 1),
        encoding="utf-8",
    )
    await load_catalog(db, load_checked(data), after_load=store_terms)
    async with db() as session:
        services = set((await session.scalars(select(Service.id))).all())
        stored = (await session.execute(select(ServiceTerms.service_id, ServiceTerms.version))).all()
    assert {s for s, _ in stored} == services and {v for _, v in stored} == {analysis_version()}
    morphology = Morphology()
    index = await build_index(db, morphology)
    docs, _ = index.postings[morphology.term("лазаня", "bg")]
    assert [index.services[d].id for d in docs.tolist()] == ["kazanlak-home-patronage"]

    async with db() as session, session.begin():
        await session.execute(delete(ServiceTerms))
    assert _contents(await build_index(db, morphology)) == _contents(index)  # analysed at start-up
