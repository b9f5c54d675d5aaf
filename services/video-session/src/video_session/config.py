from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from cw_shared.settings import ServiceSettings


class VideoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CW_VIDEO_", extra="ignore")
    service_name: ClassVar[str] = "video-session"

    public_url: str = "http://127.0.0.1:8102"
