"""staff accounts: personal log-ins to the web staff view, each on its own queues; staff
sessions belong to an account and end when idle

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opora_staff_account",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("link_hash", sa.String(length=64), nullable=True),
        sa.Column("link_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("login"),
        sa.UniqueConstraint("link_hash"),
    )
    # The shared token's sessions and its chat bound to every queue end with it.
    op.execute("DELETE FROM opora_web_session WHERE kind = 'staff'")
    op.execute("DELETE FROM opora_staff_chat WHERE channel = 'web' AND chat_id = 'staff'")
    with op.batch_alter_table("opora_web_session", recreate="always") as batch:
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_opora_web_session_account_id", ["account_id"])


def downgrade() -> None:
    with op.batch_alter_table("opora_web_session") as batch:
        batch.drop_index("ix_opora_web_session_account_id")
        batch.drop_column("seen_at")
        batch.drop_column("account_id")
    op.drop_table("opora_staff_account")
