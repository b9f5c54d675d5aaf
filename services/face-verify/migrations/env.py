"""Alembic environment for face-verify: its own tables plus the kernel's."""

from cw_shared.migrations import run_migrations
from face_verify.config import FaceSettings
from face_verify.models import Base, load_all_models

load_all_models()
run_migrations(Base.metadata, FaceSettings())
