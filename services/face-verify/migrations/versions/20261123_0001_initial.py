"""face-verify initial schema: kernel tables, reference faces

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
        "reference_faces",
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("template_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("photo_sha256", sa.String(64), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("enrolled_by", sa.String(128), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_reference_faces"),
    )


def downgrade() -> None:
    op.drop_table("reference_faces")
    drop_kernel_tables_v1(op)
