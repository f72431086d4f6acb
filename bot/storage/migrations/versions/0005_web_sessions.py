"""web sessions: staff sessions kept on the server, and the key that signs citizens' sessions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opora_secret",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "opora_web_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_index("ix_opora_web_session_expires_at", "opora_web_session", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_opora_web_session_expires_at", table_name="opora_web_session")
    op.drop_table("opora_web_session")
    op.drop_table("opora_secret")
