"""The database engine, for the catalogue and everything else Opora stores.

SQLite (the embedded default) has one writer at a time. Opora keeps to that by design, rather
than by waiting in SQLite's busy loop with a pooled connection held:
- every write transaction (`async with sessions() as session, session.begin():`) first takes the
  engine's writer lock, in the process, before it takes a connection; writers queue there, in
  order, holding nothing, and readers (WAL) are never blocked;
- inside a write transaction no second connection is opened: what the write needs (rendered
  cards and notices, queue names) is read before it begins. A session that tries to is refused
  with `SecondConnection`, so that a mistake shows in the tests rather than as a freeze;
- transactions are short: no rendering, no network, only the statements;
- WAL, synchronous=NORMAL (a commit survives a crash of the process; a power cut may lose the
  last ones, never corrupt the file), and a busy timeout for other processes (`opora catalog …`).
PostgreSQL needs none of this: it has row locks, and its writers do not wait for each other."""

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Executable, Row, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    AsyncSessionTransaction,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # PostgreSQL: no pre-ping, which costs three round trips (BEGIN, a query, ROLLBACK) each time a
    # connection is taken from the pool, a quarter of a worker's time under load. When the server
    # restarted, the first statement on a dead connection fails, SQLAlchemy drops every pooled
    # connection, and the update is delivered again. A pool as large as the webhook's concurrency,
    # so that connections are kept rather than opened and closed under load.
    pool = {} if parsed.get_backend_name() == "sqlite" else {"pool_size": 20, "max_overflow": 20, "pool_recycle": 600}
    engine = create_async_engine(
        url,
        **pool,
        hide_parameters=True,  # an error's log line never carries what people wrote (texts, phones)
        # orjson: reading the JSON columns of 20,000 services is the largest part of start-up
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _sqlite_no_wait(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL is the file's, set by the engine's first connection
    cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Writers of this process queue on the writer lock, not here; this is for other processes.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class SecondConnection(RuntimeError):
    """A session opened a connection inside another session's write transaction on SQLite."""


@dataclass
class _Writer:
    lock: asyncio.Lock
    task: asyncio.Task[Any] | None = None
    session: Session | None = None

    async def take(self, session: Session | None = None) -> None:
        """The lock, for this task (and the session writing in it, if any)."""
        if self.task is not None and self.task is asyncio.current_task():
            raise SecondConnection("a write transaction inside another one")
        await self.lock.acquire()
        self.task, self.session = asyncio.current_task(), session

    def give_back(self) -> None:
        self.task = self.session = None
        self.lock.release()


_writers: "weakref.WeakKeyDictionary[object, _Writer]" = weakref.WeakKeyDictionary()


def _writer(engine: AsyncEngine) -> _Writer:
    found = _writers.get(engine.sync_engine)
    if found is None:
        found = _writers[engine.sync_engine] = _Writer(asyncio.Lock())
    return found


class _SyncSession(Session):
    pass


@event.listens_for(_SyncSession, "after_begin")
def _one_connection(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    writer = _writers.get(connection.engine)
    if writer is None or writer.task is None or writer.session is session:
        return
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return
    if task is writer.task:
        raise SecondConnection("a second connection inside a write transaction: read what the write needs first")


class _Write:
    """`session.begin()` on SQLite: the writer lock, then the transaction."""

    def __init__(self, session: "OneWriterSession"):
        assert isinstance(session.bind, AsyncEngine), "made by sessions(engine)"
        self.session, self.engine = session, session.bind
        self.transaction: AsyncSessionTransaction | None = None

    async def __aenter__(self) -> AsyncSessionTransaction:
        writer = _writer(self.engine)
        await writer.take(self.session.sync_session)
        try:
            self.transaction = AsyncSession.begin(self.session)
            return await self.transaction.__aenter__()
        except BaseException:
            writer.give_back()
            raise

    async def __aexit__(self, *exc: Any) -> None:
        assert self.transaction is not None, "entered"
        try:
            await self.transaction.__aexit__(*exc)
        finally:
            _writer(self.engine).give_back()


class Statements:
    """Where the statements of every update run (the claim, the state read and saved, the mark),
    each atomic by itself, without a session around it: a session costs more than the statement.

    PostgreSQL: a pooled connection in autocommit, without BEGIN and COMMIT round trips.

    SQLite (a file): SQLAlchemy's own synchronous pysqlite engine, on the event loop. aiosqlite
    hands every call (cursor, execute, fetch, commit, close) to its thread and back, 0.5 ms of CPU
    for a statement SQLite runs in 20 µs, and these are four of every update. A statement here
    never waits for SQLite's lock, which would stop the loop: a write first takes the writer lock,
    as `session.begin()` does, so no write of this process is under way, and the connection does
    not wait for another process's (busy timeout 0). Should one hold it (`opora catalog …`), the
    statement runs the aiosqlite way, where waiting blocks nothing."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        url = engine.url
        self.blocking: Engine | None = None
        if engine.dialect.name != "sqlite":
            self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        elif url.database not in (None, "", ":memory:"):
            self.blocking = create_engine(
                url.set(drivername="sqlite"),
                connect_args={"timeout": 0},
                hide_parameters=True,
                json_serializer=_json_dumps,
                json_deserializer=orjson.loads,
            )
            event.listen(self.blocking, "connect", _sqlite_no_wait)
            event.listen(engine.sync_engine, "engine_disposed", lambda _engine: self.dispose())

    async def run(self, statement: Executable, values: dict[str, Any], write: bool) -> list[Row[Any]]:
        """The statement's rows (none for a write that returns none)."""
        if self.blocking is not None:
            try:
                if not write:
                    return self._blocking(statement, values)
                async with self._writing():
                    return self._blocking(statement, values)
            except OperationalError as error:
                if "locked" not in str(error.orig):
                    raise
        async with self._connection(write) as connection:
            result = await connection.execute(statement, values)
            return list(result.all()) if result.returns_rows else []

    def _blocking(self, statement: Executable, values: dict[str, Any]) -> list[Row[Any]]:
        assert self.blocking is not None, "SQLite"
        with self.blocking.begin() as connection:
            result = connection.execute(statement, values)
            return list(result.all()) if result.returns_rows else []

    @asynccontextmanager
    async def _connection(self, write: bool) -> AsyncIterator[AsyncConnection]:
        if self.engine.dialect.name != "sqlite" or not write:
            async with self.engine.connect() as connection:
                yield connection
            return
        async with self._writing(), self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        writer = _writer(self.engine)
        await writer.take()
        try:
            yield
        finally:
            writer.give_back()

    def dispose(self) -> None:
        if self.blocking is not None:
            self.blocking.dispose()


class OneWriterSession(AsyncSession):
    sync_session_class = _SyncSession

    def begin(self) -> _Write:  # type: ignore[override]  # an async context manager like the one it replaces
        return _Write(self)


class AutocommitReads(AsyncSession):
    """PostgreSQL: what a session reads outside `session.begin()` is read in autocommit, without
    a BEGIN and a ROLLBACK round trip around it (two of the three of a one-query read, on every
    turn). Opora writes only inside `session.begin()` (on SQLite the writer lock is taken
    there), and that is a transaction as always. Reads see the same as in PostgreSQL's default
    READ COMMITTED transaction: each statement what was committed before it began."""

    def begin(self) -> AsyncSessionTransaction:
        if not self.in_transaction():
            self.sync_session.bind = self.info["writes"].sync_engine
        return super().begin()


def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    if engine.dialect.name == "sqlite":
        return async_sessionmaker(engine, expire_on_commit=False, class_=OneWriterSession)
    reads = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(reads, expire_on_commit=False, class_=AutocommitReads, info={"writes": engine})
