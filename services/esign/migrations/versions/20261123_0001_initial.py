"""esign initial schema: kernel tables, face verifications

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
        "face_verifications",
        sa.Column("verification_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("room_id", sa.String(64), nullable=True),
        sa.Column("ticket_id", sa.String(64), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("verification_id", name="pk_face_verifications"),
    )
    op.create_index(
        "ix_face_verifications_subject_decided", "face_verifications", ["subject", "decided_at"]
    )


def downgrade() -> None:
    op.drop_table("face_verifications")
    drop_kernel_tables_v1(op)
