"""Database engine and schema for the catalogue (and everything else Opora stores)."""

from pathlib import Path

import orjson

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, pool_pre_ping=parsed.get_backend_name() != "sqlite",
        hide_parameters=True,  # an error's log line never carries what people wrote (texts, phones)
        # orjson: reading the JSON columns of 20,000 services is the largest part of start-up
        json_serializer=lambda value: orjson.dumps(value).decode(), json_deserializer=orjson.loads,
    )
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # A writer waits for another's commit. Under a heavy load the event loop may take seconds to
    # get to that commit, and at 5 s one turn in twelve failed with "database is locked".
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


async def create_schema(engine: AsyncEngine) -> None:
    """Create or upgrade the schema: migrate to the newest revision (catalog.migrate)."""
    from catalog.migrate import upgrade  # it imports this module

    await upgrade(engine)


def sessions(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
