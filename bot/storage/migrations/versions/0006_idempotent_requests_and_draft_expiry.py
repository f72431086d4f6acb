"""idempotent requests and expiring drafts: a request knows the draft it was made from (unique),
and a conversation state knows when its unsent draft was begun

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On SQLite the tables are made anew, so that they are the very tables a new database gets.
    with op.batch_alter_table("opora_help_request", recreate="always") as batch:
        batch.add_column(sa.Column("draft_key", sa.String(length=64), nullable=True))
        batch.create_index("ix_opora_help_request_draft_key", ["draft_key"], unique=True)
    with op.batch_alter_table("opora_chat_state", recreate="always") as batch:
        batch.add_column(sa.Column("draft_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_opora_chat_state_draft_at", ["draft_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opora_chat_state") as batch:
        batch.drop_index("ix_opora_chat_state_draft_at")
        batch.drop_column("draft_at")
    with op.batch_alter_table("opora_help_request") as batch:
        batch.drop_index("ix_opora_help_request_draft_key")
        batch.drop_column("draft_key")
