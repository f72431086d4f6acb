"""update claims: a handled update is marked, so that a dead worker's claim can be taken over

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On SQLite the table is made anew, so that it is the very table a new database gets.
    with op.batch_alter_table("opora_processed_update", recreate="always") as batch:
        batch.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE opora_processed_update SET handled_at = at")  # rows before this were handled


def downgrade() -> None:
    with op.batch_alter_table("opora_processed_update") as batch:
        batch.drop_column("handled_at")
