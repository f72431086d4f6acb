"""web inbox: what the outbox delivers to browsers, until they have shown it

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opora_web_inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,  # browsers acknowledge by id: a deleted id must never come back
    )
    op.create_index("ix_opora_web_inbox_chat_id", "opora_web_inbox", ["chat_id"])


def downgrade() -> None:
    op.drop_table("opora_web_inbox")
