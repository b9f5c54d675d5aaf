"""Settings: one environment prefix per service, with a common ``CW_`` fallback.

A service declares ``class QueueSettings(ServiceSettings)`` with ``env_prefix="CW_QUEUE_"``;
``CW_QUEUE_NATS_URL`` then wins over ``CW_NATS_URL``, which wins over the default. Values that
only make sense machine-wide (``CW_ENV``, ``CW_VAR_DIR``) are read from the common prefix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

COMMON_PREFIX = "CW_"
# Secrets shipped as defaults start with this marker so production can refuse them.
DEV_SECRET_MARKER = "dev-insecure-"  # noqa: S105  (a marker, not a secret)


class ServiceSettings(BaseSettings):
    """What every service is configured with. Subclasses set ``service_name`` and the prefix."""

    # validate_by_name: tests and tools pass var_dir=..., env=... as well as the CW_ variables.
    model_config = SettingsConfigDict(
        env_prefix=COMMON_PREFIX, extra="ignore", validate_by_name=True, validate_by_alias=True
    )
    service_name: ClassVar[str] = "service"

    env: Literal["development", "test", "production"] = Field(
        "development", validation_alias="CW_ENV"
    )
    var_dir: Path = Field(Path("var"), validation_alias="CW_VAR_DIR")
    database_url: str = ""
    database_pool_size: int = 10
    sqlite_busy_timeout_ms: int = 15_000

    nats_url: str = "nats://127.0.0.1:4222"
    bus_stream: str = "CW"
    bus_stream_replicas: int = 1
    bus_duplicate_window_seconds: float = 120.0
    bus_max_deliver: int = 5
    bus_nak_base_delay_seconds: float = 0.5
    bus_nak_max_delay_seconds: float = 60.0
    bus_ack_wait_seconds: float = 30.0
    outbox_poll_seconds: float = 1.0
    outbox_batch_size: int = 200
    outbox_max_backoff_seconds: float = 30.0

    auth_issuer: str = "cw-local"
    auth_audience: str = "cw"
    auth_jwks_url: str | None = None
    auth_leeway_seconds: int = 30

    log_level: str = "INFO"
    log_json: bool = True
    max_body_bytes: int = 1_048_576
    idempotency_ttl_hours: int = 24

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        common = EnvSettingsSource(settings_cls, env_prefix=COMMON_PREFIX)
        return init_settings, env_settings, common, file_secret_settings

    @model_validator(mode="after")
    def _derive_defaults(self) -> ServiceSettings:
        if not self.database_url:
            path = (self.var_dir / f"{self.service_name}.db").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        return self

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> ServiceSettings:
        if self.env != "production":
            return self
        weak = [
            name
            for name, value in self
            if isinstance(value, SecretStr)
            and value.get_secret_value().startswith(DEV_SECRET_MARKER)
        ]
        if weak:
            raise ValueError(
                f"production refuses development secrets; set: {', '.join(sorted(weak))}"
            )
        if not self.auth_jwks_url:
            raise ValueError("production refuses the local token issuer; set AUTH_JWKS_URL")
        return self

    @property
    def keys_dir(self) -> Path:
        return self.var_dir / "keys"

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to log: secrets are masked by pydantic's SecretStr."""
        return self.model_dump(mode="json")
