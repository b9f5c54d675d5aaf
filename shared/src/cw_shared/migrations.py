"""Alembic support shared by every service: the env.py runner and the kernel tables.

Migrations are the only way a schema is made. A service's ``migrations/env.py`` is::

    from cw_shared.migrations import run_migrations
    from queue_api.config import QueueSettings
    from queue_api.models import Base, load_all_models
    load_all_models()
    run_migrations(Base.metadata, QueueSettings())

and its first revision calls :func:`create_kernel_tables_v1`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, make_url

from cw_shared import tables as _kernel_tables  # noqa: F401  (registers the kernel tables)
from cw_shared.db import Base as KernelBase
from cw_shared.db import create_engine, is_sqlite
from cw_shared.settings import ServiceSettings

URL_ATTRIBUTE = "database_url"
MIGRATION_LOCK_KEY = 0x6377_6D69_6772_6174  # "cwmigrat"


def alembic_config(service_dir: Path, database_url: str) -> Config:
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.attributes[URL_ATTRIBUTE] = database_url
    return config


def upgrade(service_dir: Path, database_url: str, revision: str = "head") -> None:
    """Bring a service's database to ``revision`` (blocking: run it off the event loop)."""
    command.upgrade(alembic_config(service_dir, database_url), revision)


def run_migrations(service_metadata: MetaData, settings: ServiceSettings) -> None:
    """Body of every service's env.py: migrate the service's tables and the kernel's.

    The URL is the one passed by :func:`upgrade`, else the service's settings
    (so ``alembic -c services/<name>/alembic.ini upgrade head`` works from the environment).
    """
    config = context.config
    url = config.attributes.get(URL_ATTRIBUTE) or settings.database_url
    sqlite_file = make_url(url).database if is_sqlite(url) else None
    if sqlite_file:
        Path(sqlite_file).parent.mkdir(parents=True, exist_ok=True)
    targets = [service_metadata, KernelBase.metadata]

    def migrate(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # Replicas starting together migrate one after the other, not at once.
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        context.configure(
            connection=connection,
            target_metadata=targets,
            render_as_batch=is_sqlite(url),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())


def create_kernel_tables_v1(op: Any) -> None:
    """The kernel's tables as of version 1; later kernel changes get their own function."""
    op.create_table(
        "outbox",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(128), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["published_at", "seq"])
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(128), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(128), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("caller", sa.String(160), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("caller", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def drop_kernel_tables_v1(op: Any) -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("inbox")
    op.drop_table("outbox")
