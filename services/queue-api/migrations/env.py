"""Alembic environment for queue-api: its own tables plus the kernel's."""

from cw_shared.migrations import run_migrations
from queue_api.config import QueueSettings
from queue_api.models import Base, load_all_models

load_all_models()
run_migrations(Base.metadata, QueueSettings())
