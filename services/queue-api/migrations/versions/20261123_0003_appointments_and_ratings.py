"""queue-api appointments (预约), ratings (好差评) and rectifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:01:13.163579
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "appointment_slots",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["service_centres.id"],
            name=op.f("fk_appointment_slots_centre_id_service_centres"),
        ),
        sa.ForeignKeyConstraint(
            ["item_code"],
            ["service_items.code"],
            name=op.f("fk_appointment_slots_item_code_service_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_slots")),
    )
    with op.batch_alter_table("appointment_slots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appointment_slots_lookup", ["centre_id", "item_code", "starts_at"], unique=False
        )

    op.create_table(
        "appointments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("slot_id", sa.String(length=32), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("holder_sub", sa.String(length=128), nullable=False),
        sa.Column("booked_by", sa.String(length=128), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["appointment_slots.id"],
            name=op.f("fk_appointments_slot_id_appointment_slots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
        sa.UniqueConstraint("slot_id", "holder_sub", name="uq_appointments_holder"),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointments_holder_sub"), ["holder_sub"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_appointments_slot_id"), ["slot_id"], unique=False)

    op.create_table(
        "ratings",
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=32), nullable=False),
        sa.Column("counter_id", sa.String(length=64), nullable=True),
        sa.Column("case_number", sa.String(length=64), nullable=True),
        sa.Column("holder_sub", sa.String(length=128), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ratings_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ratings")),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index("ix_ratings_centre_rated", ["centre_id", "rated_at"], unique=False)

    op.create_table(
        "rectifications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("centre_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revisit_note", sa.Text(), nullable=True),
        sa.Column("revisited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("appeal_decision", sa.String(length=16), nullable=True),
        sa.Column("overdue_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ratings.ticket_id"], name=op.f("fk_rectifications_ticket_id_ratings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectifications")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_rectifications_ticket_id")),
    )
    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rectifications_centre_id"), ["centre_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("rectifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectifications_centre_id"))

    op.drop_table("rectifications")
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_ratings_centre_rated")

    op.drop_table("ratings")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointments_slot_id"))
        batch_op.drop_index(batch_op.f("ix_appointments_holder_sub"))

    op.drop_table("appointments")
    with op.batch_alter_table("appointment_slots", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_slots_lookup")

    op.drop_table("appointment_slots")
