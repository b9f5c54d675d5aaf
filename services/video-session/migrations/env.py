"""Alembic environment for video-session: its own tables plus the kernel's."""

from cw_shared.migrations import run_migrations
from video_session.config import VideoSettings
from video_session.models import Base, load_all_models

load_all_models()
run_migrations(Base.metadata, VideoSettings())
