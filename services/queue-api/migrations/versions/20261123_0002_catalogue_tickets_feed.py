"""queue-api catalogue, tickets and the live feed

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:48:51.984624
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
        "feed",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_feed")),
    )
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.create_index("ix_feed_centre_seq", ["centre_id", "seq"], unique=False)
        batch_op.create_index("ix_feed_ticket_seq", ["ticket_id", "seq"], unique=False)

    op.create_table(
        "number_sequences",
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=3), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "centre_id", "prefix", "business_day", name=op.f("pk_number_sequences")
        ),
    )
    op.create_table(
        "service_items",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=3), nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("expected_service_minutes", sa.Integer(), nullable=False),
        sa.Column("remote_allowed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_service_items")),
    )
    op.create_table(
        "centre_holidays",
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["service_centres.id"],
            name=op.f("fk_centre_holidays_centre_id_service_centres"),
        ),
        sa.PrimaryKeyConstraint("centre_id", "day", name=op.f("pk_centre_holidays")),
    )
    op.create_table(
        "counters",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("item_codes", sa.JSON(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("clerk_sub", sa.String(length=128), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("call_cursor", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["service_centres.id"],
            name=op.f("fk_counters_centre_id_service_centres"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counters")),
    )
    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_counters_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "stations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["service_centres.id"],
            name=op.f("fk_stations_centre_id_service_centres"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
    )
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stations_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("holder_sub", sa.String(length=128), nullable=False),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        sa.Column("agent_sub", sa.String(length=128), nullable=True),
        sa.Column("station_id", sa.String(length=64), nullable=True),
        sa.Column("queue_class", sa.String(length=16), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("target_counter_id", sa.String(length=64), nullable=True),
        sa.Column("counter_id", sa.String(length=64), nullable=True),
        sa.Column("clerk_sub", sa.String(length=128), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recalls", sa.Integer(), nullable=False),
        sa.Column("heartbeat_lost", sa.Boolean(), nullable=False),
        sa.Column("serving_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("case_number", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["service_centres.id"], name=op.f("fk_tickets_centre_id_service_centres")
        ),
        sa.ForeignKeyConstraint(
            ["item_code"], ["service_items.code"], name=op.f("fk_tickets_item_code_service_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("centre_id", "business_day", "number", name="uq_tickets_number"),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_holder_sub"), ["holder_sub"], unique=False)
        batch_op.create_index(
            "ix_tickets_queue", ["centre_id", "state", "queue_class", "queued_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tickets_station_id"), ["station_id"], unique=False)

    with op.batch_alter_table("service_centres", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("opening_hours", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(
            sa.Column("max_wait_minutes", sa.Integer(), nullable=False, server_default="60")
        )
        batch_op.add_column(
            sa.Column("target_wait_minutes", sa.Integer(), nullable=False, server_default="20")
        )
        batch_op.add_column(
            sa.Column("no_show_after_recalls", sa.Integer(), nullable=False, server_default="2")
        )
        batch_op.add_column(sa.Column("interleave", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("service_centres", schema=None) as batch_op:
        batch_op.drop_column("interleave")
        batch_op.drop_column("no_show_after_recalls")
        batch_op.drop_column("target_wait_minutes")
        batch_op.drop_column("max_wait_minutes")
        batch_op.drop_column("opening_hours")

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_station_id"))
        batch_op.drop_index("ix_tickets_queue")
        batch_op.drop_index(batch_op.f("ix_tickets_holder_sub"))

    op.drop_table("tickets")
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stations_centre_id"))

    op.drop_table("stations")
    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counters_centre_id"))

    op.drop_table("counters")
    op.drop_table("centre_holidays")
    op.drop_table("service_items")
    op.drop_table("number_sequences")
    with op.batch_alter_table("feed", schema=None) as batch_op:
        batch_op.drop_index("ix_feed_ticket_seq")
        batch_op.drop_index("ix_feed_centre_seq")

    op.drop_table("feed")
