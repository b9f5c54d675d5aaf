"""video-session: rooms of called tickets (holder, agent, counter), invitations, close reason

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:34:28.082122
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="ad_hoc")
        )
        batch_op.add_column(sa.Column("holder_sub", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("agent_sub", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("station_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("counter_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("invited", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("close_reason", sa.String(length=32), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_column("close_reason")
        batch_op.drop_column("invited")
        batch_op.drop_column("counter_id")
        batch_op.drop_column("station_id")
        batch_op.drop_column("agent_sub")
        batch_op.drop_column("holder_sub")
        batch_op.drop_column("kind")
