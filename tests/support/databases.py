"""Each test worker (pytest-xdist's gw0, gw1, …) has a PostgreSQL database and a Redis database
of its own, so that workers never empty each other's."""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.engine import make_engine

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "" when not run by pytest-xdist
BASE_POSTGRES_URL = os.environ.get("OPORA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BASE_REDIS_URL = os.environ.get("OPORA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _worker_postgres_url() -> str:
    url = make_url(BASE_POSTGRES_URL)
    if WORKER:
        url = url.set(database=f"{url.database}_{WORKER}")
    return url.render_as_string(hide_password=False)


def _worker_redis_url() -> str:
    base, _, number = BASE_REDIS_URL.rpartition("/")
    if not WORKER:
        return BASE_REDIS_URL
    return f"{base}/{(int(number or 0) + 1 + int(WORKER.removeprefix('gw'))) % 16}"  # Redis has 16 by default


POSTGRES_URL = _worker_postgres_url()
REDIS_URL = _worker_redis_url()


async def create_worker_database() -> None:
    """This worker's PostgreSQL database, made from the base one's server when missing."""
    name = make_url(POSTGRES_URL).database
    if POSTGRES_URL == BASE_POSTGRES_URL:
        return
    engine = create_async_engine(BASE_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        if not await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


async def empty_postgres() -> None:
    """This worker's test database without any tables."""
    engine = make_engine(POSTGRES_URL)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


_seeded: Path | None = None  # made once per test worker
_SEEDED_DIRECTORY = tempfile.TemporaryDirectory(prefix="opora-seeded-")  # removed when the tests end


async def seeded_sqlite(target: Path) -> None:
    """`target` as `opora run` leaves a new SQLite database at its first start, migrated and with
    the seed catalogue: copied from one made once, so that each start skips seconds of loading."""
    global _seeded
    if _seeded is None:
        from bot.app import build_app, ensure_catalog
        from bot.settings import Settings

        made = Path(_SEEDED_DIRECTORY.name) / f"{uuid.uuid4()}.sqlite3"  # two starts at once make one each
        app = await build_app(Settings(database_url=f"sqlite+aiosqlite:///{made}"), migrate=True)
        await ensure_catalog(app)
        await app.engine.dispose()
        _seeded = made
    shutil.copyfile(_seeded, target)
