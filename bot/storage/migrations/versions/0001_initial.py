"""initial: the schema as `create_all` made it before there were migrations

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:30:54.982638
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "address", "cost_option", "language", "location", "opora_chat_state", "opora_help_request",
    "opora_outbox", "opora_place", "opora_processed_update", "opora_provider", "opora_queue",
    "opora_request_message", "opora_service_terms", "opora_staff_chat", "opora_staff_invite",
    "opora_staff_message", "opora_term", "organization", "phone",
    "required_document", "schedule", "service", "service_area", "service_at_location",
)


def upgrade() -> None:
    op.create_table(
        "address",
        sa.Column("location_id", sa.String(length=100), nullable=True),
        sa.Column("attention", sa.Text(), nullable=True),
        sa.Column("address_1", sa.Text(), nullable=True),
        sa.Column("address_2", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("region", sa.Text(), nullable=True),
        sa.Column("state_province", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("address_type", sa.String(length=20), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_address_location_id", "address", ["location_id"])
    op.create_table(
        "cost_option",
        sa.Column("service_id", sa.String(length=100), nullable=True),
        sa.Column("valid_from", sa.Text(), nullable=True),
        sa.Column("valid_to", sa.Text(), nullable=True),
        sa.Column("option", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("amount_description", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cost_option_service_id", "cost_option", ["service_id"])
    op.create_table(
        "language",
        sa.Column("service_id", sa.String(length=100), nullable=True),
        sa.Column("location_id", sa.String(length=100), nullable=True),
        sa.Column("phone_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_language_location_id", "language", ["location_id"])
    op.create_index("ix_language_service_id", "language", ["service_id"])
    op.create_table(
        "location",
        sa.Column("location_type", sa.String(length=20), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("organization_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("alternate_name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("transportation", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("external_identifier", sa.Text(), nullable=True),
        sa.Column("external_identifier_type", sa.Text(), nullable=True),
        sa.Column("place_id", sa.String(length=100), nullable=True),
        sa.Column("serves_areas", sa.JSON(), nullable=False),
        sa.Column("serves_groups", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_location_organization_id", "location", ["organization_id"])
    op.create_table(
        "opora_chat_state",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("flow", sa.String(length=40), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "user_id"),
    )
    op.create_table(
        "opora_help_request",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("queue_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("service_id", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("citizen_unreachable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "opora_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("to_staff", sa.Boolean(), nullable=False),
        sa.Column("card", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_message_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_opora_outbox_chat_id", "opora_outbox", ["chat_id"])
    op.create_index("ix_opora_outbox_request_id", "opora_outbox", ["request_id"])
    op.create_index("ix_opora_outbox_status", "opora_outbox", ["status"])
    op.create_table(
        "opora_place",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("within_id", sa.String(length=100), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "opora_processed_update",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "key"),
    )
    op.create_table(
        "opora_provider",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("place_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "opora_queue",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("location_id", sa.String(length=100), nullable=True),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "opora_request_message",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_opora_request_message_request_id", "opora_request_message", ["request_id"])
    op.create_table(
        "opora_service_terms",
        sa.Column("service_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("numbered", sa.Integer(), nullable=False),
        sa.Column("terms", sa.LargeBinary(), nullable=False),
        sa.Column("words", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("service_id"),
    )
    op.create_table(
        "opora_staff_chat",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("queue_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("queue_id", "channel", "chat_id"),
    )
    op.create_table(
        "opora_staff_invite",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("queue_id", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    op.create_table(
        "opora_staff_message",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("is_card", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat_id", "message_id"),
    )
    op.create_index("ix_opora_staff_message_request_id", "opora_staff_message", ["request_id"])
    op.create_table(
        "opora_term",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("text"),
    )
    op.create_table(
        "organization",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("alternate_name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("parent_organization_id", sa.String(length=100), nullable=True),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "phone",
        sa.Column("location_id", sa.String(length=100), nullable=True),
        sa.Column("service_id", sa.String(length=100), nullable=True),
        sa.Column("organization_id", sa.String(length=100), nullable=True),
        sa.Column("contact_id", sa.String(length=100), nullable=True),
        sa.Column("service_at_location_id", sa.String(length=100), nullable=True),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("extension", sa.Text(), nullable=True),
        sa.Column("type", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_phone_location_id", "phone", ["location_id"])
    op.create_index("ix_phone_organization_id", "phone", ["organization_id"])
    op.create_index("ix_phone_service_id", "phone", ["service_id"])
    op.create_table(
        "required_document",
        sa.Column("service_id", sa.String(length=100), nullable=True),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("uri", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_required_document_service_id", "required_document", ["service_id"])
    op.create_table(
        "schedule",
        sa.Column("service_id", sa.String(length=100), nullable=True),
        sa.Column("location_id", sa.String(length=100), nullable=True),
        sa.Column("service_at_location_id", sa.String(length=100), nullable=True),
        sa.Column("valid_from", sa.Text(), nullable=True),
        sa.Column("valid_to", sa.Text(), nullable=True),
        sa.Column("dtstart", sa.Text(), nullable=True),
        sa.Column("timezone", sa.Text(), nullable=True),
        sa.Column("until", sa.Text(), nullable=True),
        sa.Column("count", sa.Text(), nullable=True),
        sa.Column("wkst", sa.Text(), nullable=True),
        sa.Column("freq", sa.Text(), nullable=True),
        sa.Column("interval", sa.Text(), nullable=True),
        sa.Column("byday", sa.Text(), nullable=True),
        sa.Column("byweekno", sa.Text(), nullable=True),
        sa.Column("bymonthday", sa.Text(), nullable=True),
        sa.Column("byyearday", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("opens_at", sa.Text(), nullable=True),
        sa.Column("closes_at", sa.Text(), nullable=True),
        sa.Column("schedule_link", sa.Text(), nullable=True),
        sa.Column("attending_type", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_schedule_location_id", "schedule", ["location_id"])
    op.create_index("ix_schedule_service_id", "schedule", ["service_id"])
    op.create_table(
        "service",
        sa.Column("organization_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("alternate_name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("interpretation_services", sa.Text(), nullable=True),
        sa.Column("application_process", sa.Text(), nullable=True),
        sa.Column("fees_description", sa.Text(), nullable=True),
        sa.Column("wait_time", sa.Text(), nullable=True),
        sa.Column("fees", sa.Text(), nullable=True),
        sa.Column("accreditations", sa.Text(), nullable=True),
        sa.Column("eligibility_description", sa.Text(), nullable=True),
        sa.Column("minimum_age", sa.Integer(), nullable=True),
        sa.Column("maximum_age", sa.Integer(), nullable=True),
        sa.Column("assurer_email", sa.Text(), nullable=True),
        sa.Column("licenses", sa.Text(), nullable=True),
        sa.Column("alert", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("target_groups", sa.JSON(), nullable=False),
        sa.Column("residence", sa.String(length=40), nullable=True),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_service_organization_id", "service", ["organization_id"])
    op.create_table(
        "service_area",
        sa.Column("service_id", sa.String(length=100), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("extent", sa.Text(), nullable=True),
        sa.Column("extent_type", sa.Text(), nullable=True),
        sa.Column("uri", sa.Text(), nullable=True),
        sa.Column("place_id", sa.String(length=100), nullable=True),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_service_area_service_id", "service_area", ["service_id"])
    op.create_table(
        "service_at_location",
        sa.Column("service_id", sa.String(length=100), nullable=True),
        sa.Column("location_id", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_service_at_location_location_id", "service_at_location", ["location_id"])
    op.create_index("ix_service_at_location_service_id", "service_at_location", ["service_id"])


def downgrade() -> None:
    for table in reversed(TABLES):  # dropping a table drops its indexes
        op.drop_table(table)
