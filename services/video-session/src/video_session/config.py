from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from cw_shared.settings import ServiceSettings


class VideoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CW_VIDEO_", extra="ignore")
    service_name: ClassVar[str] = "video-session"

    public_url: str = "http://127.0.0.1:8102"
    room_token_secret: SecretStr = Field(
        SecretStr("dev-insecure-room-token-secret-for-one-machine"), min_length=32
    )
    room_token_ttl_seconds: int = 120
    stun_urls: list[str] = Field(default_factory=list, description="None needed on loopback")
    turn_urls: list[str] = Field(default_factory=list)
    turn_secret: SecretStr = SecretStr("dev-insecure-turn-secret")  # coturn static-auth-secret
    turn_ttl_seconds: int = 3600
