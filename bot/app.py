"""Composition root: settings → database engine → catalogue → answer engine → channels."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.settings import Settings
from catalog.db import create_schema, make_engine, sessions
from catalog.loader import load_catalog
from catalog.models import Service
from catalog.search.engine import AnswerEngine
from catalog.validation import load_checked


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker

    async def close(self) -> None:
        await self.engine.dispose()


async def build_app(settings: Settings | None = None) -> App:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)
    await create_schema(engine)
    return App(settings, engine, sessions(engine))


async def ensure_catalog(app: App) -> bool:
    """Load the seed catalogue on first start, when the database has no services."""
    async with app.sessions() as session:
        if await session.scalar(select(func.count()).select_from(Service)):
            return False
    await load_catalog(app.sessions, load_checked(app.settings.catalog_path))
    return True


async def build_engine(app: App) -> AnswerEngine:
    """The in-memory answer engine, built from the catalogue in the database."""
    return await AnswerEngine.from_database(app.sessions, default_language=app.settings.default_language)
