from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from cw_shared.settings import ServiceSettings


class EsignSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CW_ESIGN_", extra="ignore")
    service_name: ClassVar[str] = "esign"

    willingness_window_minutes: int = 10
