"""What every service promises operators and integrators: probes, metrics, OpenAPI, problems."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from cw_shared.db import Base as KernelBase
from cw_shared.local import NatsServer
from cw_shared.migrations import upgrade
from cw_shared.settings import ServiceSettings

from .conftest import Service

SECURED_PREFIX = "/v1/"


async def test_liveness_and_readiness(service_client: httpx.AsyncClient) -> None:
    assert (await service_client.get("/healthz")).json() == {"status": "ok"}
    ready = await service_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "bus": "ok"}


async def test_readiness_fails_when_the_bus_is_gone(
    service_client: httpx.AsyncClient, nats_server: NatsServer
) -> None:
    nats_server.stop()
    ready = await service_client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["checks"]["bus"] == "unreachable"
    assert (await service_client.get("/healthz")).status_code == 200


async def test_metrics_are_prometheus_text(
    service_client: httpx.AsyncClient, service: Service
) -> None:
    await service_client.get("/healthz")
    metrics = await service_client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert (
        f'cw_http_requests_total{{method="GET",route="/healthz",service="{service.name}",status="200"}}'
        in metrics.text
    )


async def test_every_api_operation_is_secured_documented_and_exemplified(
    service_client: httpx.AsyncClient,
) -> None:
    spec = (await service_client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        if path.startswith(SECURED_PREFIX)
        for method, op in item.items()
    ]
    assert operations
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("security"), f"{where} is not secured"
        assert {"401", "403", "422"} <= set(op["responses"]), f"{where} lacks problem responses"
        assert op.get("summary"), f"{where} has no summary"
        assert _has_example(spec, op), f"{where} has no example"


async def test_every_api_operation_refuses_a_missing_token(
    service_client: httpx.AsyncClient,
) -> None:
    spec = (await service_client.get("/openapi.json")).json()
    for path, item in spec["paths"].items():
        if not path.startswith(SECURED_PREFIX):
            continue
        concrete = path.replace("{", "").replace("}", "")
        for method in item:
            response = await service_client.request(method.upper(), concrete, json={})
            assert response.status_code == 401, f"{method.upper()} {path}"
            assert response.json()["type"] == "urn:cw:problem:unauthorized"


async def test_the_migrations_make_exactly_the_models_schema(
    service: Service, service_settings: ServiceSettings, tmp_path: Path
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}"
    await asyncio.to_thread(upgrade, service.directory, url)
    service.create_app(service_settings)  # imports every model of the service
    module = __import__(service.create_app.__module__.rsplit(".", 1)[0] + ".models", fromlist=["x"])
    module.load_all_models()
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}),
                [module.Base.metadata, KernelBase.metadata],
            )
        )
    await engine.dispose()
    assert diff == []


def _has_example(spec: dict, op: dict) -> bool:  # type: ignore[type-arg]
    text = str(op)
    if "example" in text:
        return True
    refs = [part.split("'")[0] for part in text.split("#/components/schemas/")[1:]]
    schemas = spec.get("components", {}).get("schemas", {})
    return any("example" in str(schemas.get(ref, {})) for ref in refs)
