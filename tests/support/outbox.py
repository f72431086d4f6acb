"""What a test-started Opora's outbox holds (its SQLite database in `tmp_path`)."""

from pathlib import Path

from sqlalchemy import select

from bot.helpdesk.models import OutboxMessage
from bot.storage.engine import make_engine, sessions
from support.waiting import wait_until


async def outbox_rows(tmp_path: Path) -> list[OutboxMessage]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/opora.sqlite3")
    async with sessions(engine)() as session:
        rows = list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())
    await engine.dispose()
    return rows


async def card_message(tmp_path: Path) -> int:
    """The Telegram message id of the first request card sent to staff, once the outbox has
    recorded it: the fake API has the message a moment before the outbox marks it sent."""

    async def sent_id() -> str | None:
        return next((r.sent_message_id for r in await outbox_rows(tmp_path) if r.card), None)

    return int(await wait_until(sent_id))
