"""What a test-started Opora's outbox holds (its SQLite database in `tmp_path`)."""

from pathlib import Path

from sqlalchemy import select

from bot.helpdesk.models import OutboxMessage
from bot.storage.engine import make_engine, sessions


async def outbox_rows(tmp_path: Path) -> list[OutboxMessage]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3")
    async with sessions(engine)() as session:
        rows = list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())
    await engine.dispose()
    return rows


async def card_message(tmp_path: Path) -> int:
    """The Telegram message id of the first request card sent to staff."""
    rows = await outbox_rows(tmp_path)
    return int(next(r.sent_message_id for r in rows if r.card))
