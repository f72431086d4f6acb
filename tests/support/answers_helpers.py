import asyncio

from bot.storage.engine import make_engine, sessions
from bot.storage.migrate import create_schema
from catalog import SEED_DATA
from catalog.loader import load_catalog
from catalog.search.engine import AnswerEngine
from catalog.validation import load_checked


def seed_engine(tmp_dir) -> AnswerEngine:
    """The answer engine over the seed catalogue, loaded into a fresh SQLite database."""

    async def build():
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_dir}/answers.sqlite3")
        await create_schema(engine)
        await load_catalog(sessions(engine), load_checked(SEED_DATA))
        answers = await AnswerEngine.from_database(sessions(engine))
        await engine.dispose()
        return answers

    return asyncio.run(build())
