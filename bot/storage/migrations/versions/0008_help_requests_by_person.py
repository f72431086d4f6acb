"""help requests by person: an index on (channel, user_id), read at each message a person types
(a follow-up to a request staff answered goes to that request)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 17:25:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_opora_help_request_person", "opora_help_request", ["channel", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_opora_help_request_person", table_name="opora_help_request")
