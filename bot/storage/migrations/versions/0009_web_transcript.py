"""web transcript: a citizen's web chat, kept on the server for the session, so that a reopened
tab shows the conversation again

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opora_web_transcript",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("said", sa.Text(), nullable=True),
        sa.Column("replies", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_opora_web_transcript_chat_id", "opora_web_transcript", ["chat_id"])


def downgrade() -> None:
    op.drop_table("opora_web_transcript")
