import os
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.engine import make_engine, sessions
from bot.storage.models import Base

POSTGRES_URL = os.environ.get("OPORA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# A copy of the official Open Referral example datapackage (CC BY-SA 4.0), unchanged.
HSDS_EXAMPLE = Path(__file__).resolve().parent / "data" / "hsds-example"


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path):
    """An empty catalogue database, on SQLite and on PostgreSQL."""
    url = f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3" if request.param == "sqlite" else POSTGRES_URL
    if request.param == "postgresql":
        await empty_postgres()
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield sessions(engine)
    await engine.dispose()


async def empty_postgres() -> None:
    """The test database without any tables."""
    engine = make_engine(POSTGRES_URL)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
