import asyncio
import os

import pytest
from support.databases import POSTGRES_URL, create_worker_database, empty_postgres

from bot.settings import Settings
from bot.storage.engine import make_engine, sessions
from bot.storage.models import Base


def pytest_configure(config: pytest.Config) -> None:
    # A developer's settings never reach the tests: neither their OPORA_ variables nor a .env
    # (tests/support/opora.py keeps them from the processes the tests start).
    for name in Settings.model_fields:
        os.environ.pop(f"OPORA_{name.upper()}", None)
    Settings.model_config["env_file"] = None


def pytest_sessionstart(session: pytest.Session) -> None:
    asyncio.run(create_worker_database())


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
