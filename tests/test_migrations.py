"""The migrations make the schema of the models, on SQLite and PostgreSQL, and adopt old databases."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from support.databases import POSTGRES_URL
from support.opora import environment, opora_command

from bot.storage import migrate
from bot.storage.engine import make_engine
from bot.storage.models import Base
from catalog.models import CATALOG_MODELS


@pytest.fixture(params=["sqlite", "postgresql"])
async def url(request, tmp_path) -> str:
    """The URL of an empty database, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3"
    engine = make_engine(POSTGRES_URL)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    return POSTGRES_URL


@pytest.fixture
async def engine(url):
    engine = make_engine(url)
    yield engine
    await engine.dispose()


def differences(connection: Connection) -> list:
    return compare_metadata(MigrationContext.configure(connection), Base.metadata)


async def test_upgrade_makes_the_schema_of_the_models(engine):
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []


def test_one_import_completes_the_schema():
    """`bot.storage.models` alone: no other module must be imported first for create_all to make every table."""
    code = (
        "from bot.storage.models import metadata; from bot.storage.migrate import _schema_at, head;"
        " assert set(metadata.tables) == set(_schema_at(head())), set(metadata.tables) ^ set(_schema_at(head()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr


async def test_on_sqlite_the_migrations_make_the_very_tables_of_create_all(tmp_path):
    """What compare_metadata does not see, such as AUTOINCREMENT, the DDL shows."""
    ddl = {}
    for how in ("create_all", "migrations"):
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/{how}.sqlite3")
        if how == "migrations":
            await migrate.upgrade(engine)
        async with engine.begin() as conn:
            if how == "create_all":
                await conn.run_sync(Base.metadata.create_all)
            rows = await conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE tbl_name NOT IN ('alembic_version', 'sqlite_sequence')")
            )
            # a table that batch mode copied is renamed, and its new name quoted
            ddl[how] = {name: (sql or "").replace('"', "") for name, sql in rows}
        await engine.dispose()
    assert ddl["migrations"] == ddl["create_all"]


async def test_check_current_asks_for_an_upgrade_until_there_is_one(engine):
    problem = await migrate.check_current(engine)
    assert problem is not None and "run `opora db upgrade`" in problem
    await migrate.upgrade(engine)
    assert await migrate.check_current(engine) is None
    assert await migrate.current_revision(engine) == migrate.head()


async def test_upgrade_twice_changes_nothing(url, engine):
    await migrate.upgrade(url)
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO opora_term (id, text) VALUES (0, 'ok')"))
    await migrate.upgrade(url)
    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []
        assert (await conn.execute(text("SELECT text FROM opora_term"))).scalar_one() == "ok"
    assert await migrate.check_current(engine) is None


async def test_a_database_made_by_create_all_is_adopted(engine):
    async with engine.begin() as conn:  # as Opora made it before migrations (and the web chat) existed
        await conn.run_sync(Base.metadata.create_all)
        await conn.execute(text("DROP TABLE opora_web_inbox"))
        await conn.execute(text("DROP TABLE opora_web_session"))  # nor the web sessions of 0005
        await conn.execute(text("DROP TABLE opora_secret"))
        await conn.execute(text("DROP TABLE opora_verification"))  # nor revision 0007's table
        await conn.execute(text("DROP INDEX ix_opora_help_request_person"))  # nor revision 0008's index
        await conn.execute(text("DROP TABLE opora_web_transcript"))  # nor revision 0009's
        await conn.execute(text("DROP TABLE opora_staff_account"))  # nor revision 0010's
        await conn.execute(text("DROP TABLE opora_request_event"))  # nor revision 0011's
        for table, column in (("opora_help_request", "taken_by"), ("opora_help_request", "town")):
            await conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        await conn.execute(text("ALTER TABLE opora_staff_chat DROP COLUMN language"))
        await conn.execute(text("ALTER TABLE opora_processed_update DROP COLUMN handled_at"))
        for model in CATALOG_MODELS:  # nor the provenance of revision 0004
            await conn.execute(text(f"ALTER TABLE {model.__tablename__} DROP COLUMN source_date"))
            await conn.execute(text(f"ALTER TABLE {model.__tablename__} DROP COLUMN assured_by"))
        for table, column in (("opora_help_request", "draft_key"), ("opora_chat_state", "draft_at")):  # nor 0006
            await conn.execute(text(f"DROP INDEX ix_{table}_{column}"))
            await conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        await conn.execute(text("INSERT INTO opora_term (id, text) VALUES (0, 'kept')"))
    assert await migrate.check_current(engine) is not None
    await migrate.upgrade(engine)
    assert await migrate.check_current(engine) is None
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT text FROM opora_term"))).scalar_one() == "kept"


async def test_a_database_unlike_the_first_revision_is_left_alone(engine):
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.execute(text("DROP TABLE opora_web_inbox"))
        await conn.execute(text("DROP TABLE opora_staff_invite"))
    with pytest.raises(migrate.MigrationError, match="no table opora_staff_invite"):
        await migrate.upgrade(engine)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    assert "alembic_version" not in tables and "opora_staff_invite" not in tables


async def test_a_revision_of_a_newer_opora_is_refused(engine):
    await migrate.upgrade(engine)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    assert "which this Opora does not know" in await migrate.check_current(engine)
    with pytest.raises(migrate.MigrationError, match="a newer Opora"):
        await migrate.upgrade(engine)


@pytest.mark.e2e
def test_the_command_upgrades_and_tells_the_revision(tmp_path):
    opora = Path(sys.executable).with_name("opora")
    env = environment({"OPORA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/db/opora.sqlite3"})

    def run(*args: str) -> subprocess.CompletedProcess:
        # from another directory: the migrations are found next to the code
        return subprocess.run([opora, "db", *args], env=env, cwd=tmp_path, capture_output=True, text=True)

    before = run("current")
    assert (before.returncode, before.stdout) == (1, "none\n")
    assert "run `opora db upgrade`" in before.stderr
    upgraded = run("upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout == f"the database schema is at revision {migrate.head()}\n"
    after = run("current")
    assert (after.returncode, after.stdout) == (0, f"{migrate.head()}\n")


@pytest.mark.e2e
async def test_opora_run_refuses_an_out_of_date_schema(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3"
    engine = make_engine(url)
    async with engine.begin() as conn:  # a database of the previous Opora: at revision 0001
        await conn.run_sync(lambda sync: migrate._run(sync, migrate.command.upgrade, migrate.INITIAL))
    await engine.dispose()
    refused = opora_command("run", env={"OPORA_DATABASE_URL": url, "OPORA_HTTP_PORT": "9"}, timeout=120)
    assert refused.returncode == 1
    assert f"at revision {migrate.INITIAL}, this Opora needs {migrate.head()}: run `opora db upgrade`" in refused.stderr


async def test_a_database_made_by_create_all_of_this_opora_is_adopted_at_the_head(engine):
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await migrate.upgrade(engine)
    assert await migrate.current_revision(engine) == migrate.head()


async def test_the_dates_of_sources_are_no_longer_taken_for_confirmations(engine):
    """Before 0004 `assured_date` held the date of the source: nobody had confirmed anything.
    The upgrade moves it to `source_date`, so that no fact shows as confirmed by a person."""
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: migrate._run(sync, migrate.command.upgrade, "0003"))
        await conn.execute(
            text(
                "INSERT INTO service (id, translations, sources, assured_date, organization_id, name,"
                " status, target_groups, synonyms)"
                " VALUES ('s', '{}', '[]', '2022-10-11', 'o', 'S', 'active', '[]', '{}')"
            )
        )
        await conn.execute(text("INSERT INTO phone (id, translations, sources, number) VALUES ('p', '{}', '[]', '1')"))
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        service = (await conn.execute(text("SELECT source_date, assured_date, assured_by FROM service"))).one()
        phone = (await conn.execute(text("SELECT source_date, assured_date FROM phone"))).one()
    assert tuple(service) == ("2022-10-11", None, None)
    assert tuple(phone) == (None, None)


async def test_people_who_sent_a_request_and_staff_correcting_an_office_are_marked_in_their_state(engine):
    """From 0012 a turn reads whether a person's typed message is a reply to staff only for those
    who have sent a request (`asked`), and whether a staff member's text is an office's correction
    only for those who pressed ✏ Correct (`fixing`). The upgrade marks those who did before it."""
    from sqlalchemy import insert, select

    from bot.core.state import ChatState
    from bot.helpdesk.models import HelpRequest, Verification

    moment = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: migrate._run(sync, migrate.command.upgrade, "0011"))
        for user in ("asked", "fixer", "neither"):
            await conn.execute(
                insert(ChatState.__table__).values(
                    channel="telegram", user_id=user, data={"place": "kazanlak"}, updated_at=dt.datetime.now(dt.UTC)
                )
            )
        await conn.execute(
            insert(HelpRequest.__table__).values(
                queue_id="q", channel="telegram", user_id="asked", language="bg", status="answered", created_at=moment
            )
        )
        await conn.execute(
            insert(Verification.__table__).values(
                queue_id="q", location_id="l", channel="telegram", chat_id="-100", status="fixing", fixer="fixer",
                asked_at=moment,
            )
        )  # fmt: skip
    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        rows = (await conn.execute(select(ChatState.user_id, ChatState.data).order_by(ChatState.user_id))).all()
    assert [(user, data) for user, data in rows] == [
        ("asked", {"place": "kazanlak", "asked": True}),
        ("fixer", {"place": "kazanlak", "fixing": True}),
        ("neither", {"place": "kazanlak"}),
    ]
