"""staff workplace: the audit trail of each request, who took it, the town it is about, and each
staff chat's own language

Revision ID: 0011
Revises: 0009 (relinked to 0010, the staff accounts, at merge)
Create Date: 2026-11-25 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opora_request_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_opora_request_event_request_id", "opora_request_event", ["request_id"])
    op.create_index("ix_opora_request_event_queue_id", "opora_request_event", ["queue_id"])
    with op.batch_alter_table("opora_help_request", recreate="always") as batch:
        batch.add_column(sa.Column("taken_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("town", sa.String(length=100), nullable=True))
    with op.batch_alter_table("opora_staff_chat", recreate="always") as batch:
        batch.add_column(sa.Column("language", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("opora_staff_chat") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("opora_help_request") as batch:
        batch.drop_column("town")
        batch.drop_column("taken_by")
    op.drop_index("ix_opora_request_event_queue_id", table_name="opora_request_event")
    op.drop_index("ix_opora_request_event_request_id", table_name="opora_request_event")
    op.drop_table("opora_request_event")
