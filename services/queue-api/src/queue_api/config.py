from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cw_shared.settings import ServiceSettings


class QueueSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CW_QUEUE_", extra="ignore")
    service_name: ClassVar[str] = "queue-api"

    default_interleave: list[str] = Field(
        default_factory=lambda: ["priority", "appointment", "walk_in"],
        description="The calling rule of centres that set none: classes a counter cycles through",
    )
    station_heartbeat_timeout_seconds: int = 90
    wait_min_samples: int = 10
    wait_sample_size: int = 200
    feed_poll_seconds: float = 1.0
