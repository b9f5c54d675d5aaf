from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from cw_shared.settings import ServiceSettings


class WindowSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CW_WINDOW_", extra="ignore")
    service_name: ClassVar[str] = "window"

    turn_secret: SecretStr = SecretStr("dev-insecure-turn-secret")


def test_the_service_prefix_wins_over_the_common_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CW_NATS_URL", "nats://common:4222")
    assert WindowSettings().nats_url == "nats://common:4222"
    monkeypatch.setenv("CW_WINDOW_NATS_URL", "nats://mine:4222")
    assert WindowSettings().nats_url == "nats://mine:4222"


def test_the_default_database_is_a_sqlite_file_under_var(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CW_VAR_DIR", str(tmp_path))
    assert WindowSettings().database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/window.db"


def test_production_refuses_a_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CW_ENV", "production")
    monkeypatch.setenv("CW_AUTH_JWKS_URL", "https://idp.example.org/jwks")
    with pytest.raises(ValidationError, match="turn_secret"):
        WindowSettings()
    monkeypatch.setenv("CW_WINDOW_TURN_SECRET", "a-real-secret-from-the-vault")
    assert WindowSettings().env == "production"


def test_production_refuses_the_local_token_issuer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CW_ENV", "production")
    monkeypatch.setenv("CW_WINDOW_TURN_SECRET", "a-real-secret-from-the-vault")
    with pytest.raises(ValidationError, match="JWKS"):
        WindowSettings()


def test_development_accepts_the_defaults() -> None:
    assert WindowSettings(env="development").turn_secret.get_secret_value().startswith("dev-")


def test_secrets_never_show_in_the_loggable_dump() -> None:
    assert "dev-insecure-turn-secret" not in str(WindowSettings().public_dict())
