"""queue-api initial schema: kernel tables, service centres, ticket rooms

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cw_shared.migrations import create_kernel_tables_v1, drop_kernel_tables_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kernel_tables_v1(op)
    op.create_table(
        "service_centres",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_service_centres"),
    )
    op.create_table(
        "ticket_rooms",
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.String(64), nullable=True),
        sa.Column("centre_id", sa.String(64), nullable=False),
        sa.Column("join_url", sa.String(500), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", name="pk_ticket_rooms"),
    )
    op.create_index("ix_ticket_rooms_ticket_id", "ticket_rooms", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("ticket_rooms")
    op.drop_table("service_centres")
    drop_kernel_tables_v1(op)
