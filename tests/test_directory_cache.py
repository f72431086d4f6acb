"""The directory keeps catalogue rows for a while: a reload shows once they are stale, and what it
hands out can be changed by the caller without changing the next answer."""

from sqlalchemy import update

from catalog import SEED_DATA
from catalog.directory import Directory
from catalog.loader import load_catalog
from catalog.models import Service
from catalog.validation import load_checked

KAZANLAK = 42.6194, 25.3930


async def test_a_changed_catalogue_shows_once_the_cache_is_stale(db):
    await load_catalog(db, load_checked(SEED_DATA))
    clock = [0.0]
    directory = Directory(db, cache_seconds=60, timer=lambda: clock[0])
    before = await directory.card("kazanlak-home-patronage")
    async with db() as session, session.begin():
        await session.execute(
            update(Service).where(Service.id == "kazanlak-home-patronage").values(url="https://example.org/new")
        )
    clock[0] = 59.9
    assert (await directory.card("kazanlak-home-patronage")).url == before.url
    clock[0] = 60.1
    assert (await directory.card("kazanlak-home-patronage")).url == "https://example.org/new"


async def test_answers_do_not_share_what_callers_change(db):
    await load_catalog(db, load_checked(SEED_DATA))
    directory = Directory(db)
    first = await directory.nearest(*KAZANLAK)
    second = await directory.nearest(*KAZANLAK)
    assert [len(o.services) for o in second] == [len(o.services) for o in first]
    assert all(o.services for o in second)
    card = await directory.card("kazanlak-home-patronage")
    card.offices.clear(), card.phones.clear(), card.target_groups.clear()
    assert (await directory.card("kazanlak-home-patronage")) != card
    places = await directory.places()
    places[0].services = 0
    assert (await directory.places())[0].services > 0
