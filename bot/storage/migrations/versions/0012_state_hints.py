"""state hints: a person who has sent a help request (`asked`), and a staff member correcting an
office's facts (`fixing`), are marked in their conversation's state, so that other turns need no
read to know they are neither (bot/core/flows.py, StateData)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE = sa.table(
    "opora_chat_state", sa.column("channel", sa.String), sa.column("user_id", sa.String), sa.column("data", sa.JSON)
)


def upgrade() -> None:
    connection = op.get_bind()
    marked: dict[tuple[str, str], set[str]] = {}
    for channel, user_id in connection.execute(
        sa.text("SELECT DISTINCT channel, user_id FROM opora_help_request WHERE user_id IS NOT NULL")
    ):
        marked.setdefault((channel, user_id), set()).add("asked")
    for channel, fixer in connection.execute(
        sa.text("SELECT DISTINCT channel, fixer FROM opora_verification WHERE status = 'fixing' AND fixer IS NOT NULL")
    ):
        marked.setdefault((channel, fixer), set()).add("fixing")
    for (channel, user_id), hints in marked.items():
        row = connection.execute(
            sa.select(STATE.c.data).where(STATE.c.channel == channel, STATE.c.user_id == user_id)
        ).first()
        if row is not None:
            data = dict(row.data or {}) | dict.fromkeys(hints, True)
            connection.execute(
                sa.update(STATE).where(STATE.c.channel == channel, STATE.c.user_id == user_id).values(data=data)
            )


def downgrade() -> None:
    pass  # the hints are harmless to an older version, which ignores them
