from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from cw_shared.settings import ServiceSettings


class FaceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CW_FACE_", extra="ignore")
    service_name: ClassVar[str] = "face-verify"
