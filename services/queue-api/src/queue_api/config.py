from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from cw_shared.settings import ServiceSettings


class QueueSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CW_QUEUE_", extra="ignore")
    service_name: ClassVar[str] = "queue-api"
