"""Alembic environment for esign: its own tables plus the kernel's."""

from cw_shared.migrations import run_migrations
from esign.config import EsignSettings
from esign.models import Base, load_all_models

load_all_models()
run_migrations(Base.metadata, EsignSettings())
