"""provenance: the date a source published a fact (source_date) apart from the date a person
confirmed it (assured_date) and who (assured_by)

Until now `assured_date` held the sources' dates: nobody could confirm a fact. They move to
`source_date`, and `assured_date` is emptied, so that no fact shows as confirmed by a person.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "opora_place",
    "opora_provider",
    "organization",
    "service",
    "location",
    "service_at_location",
    "address",
    "phone",
    "schedule",
    "language",
    "service_area",
    "required_document",
    "cost_option",
)


def upgrade() -> None:
    for table in TABLES:
        # On SQLite the table is made anew, so that it is the very table a new database gets.
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.add_column(sa.Column("source_date", sa.String(length=10), nullable=True))
            batch.add_column(sa.Column("assured_by", sa.Text(), nullable=True))
        op.execute(
            f"UPDATE {table} SET source_date = CAST(assured_date AS VARCHAR(10)), assured_date = NULL"
            " WHERE assured_date IS NOT NULL"
        )


def downgrade() -> None:
    day = "source_date" if op.get_bind().dialect.name == "sqlite" else "CAST(source_date AS DATE)"
    for table in TABLES:
        op.execute(f"UPDATE {table} SET assured_date = {day} WHERE assured_date IS NULL AND LENGTH(source_date) = 10")
        with op.batch_alter_table(table) as batch:
            batch.drop_column("assured_by")
            batch.drop_column("source_date")
