"""Liveness, readiness and metrics (unauthenticated: probes and scrapers), and ``/v1/me``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cw_shared.auth import CurrentPrincipal, Principal
from cw_shared.errors import PROBLEM_RESPONSES, problem_response

router = APIRouter(tags=["operations"])
CHECK_TIMEOUT_SECONDS = 2.0


@router.get(
    "/healthz",
    summary="The process is up",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database and the bus are reachable",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {"status": "ready", "checks": {"database": "ok", "bus": "ok"}}
                }
            }
        },
        503: {"description": "A dependency is down", "content": {"application/problem+json": {}}},
    },
)
async def readyz(request: Request) -> Response:
    checks = {
        "database": await _check(request.app.state.database.ping()),
        "bus": "ok" if await _bus_ready(request) else "unreachable",
    }
    if all(value == "ok" for value in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    return problem_response(
        status=503,
        slug="not-ready",
        title="Not ready",
        detail="a dependency is unreachable",
        instance=request.url.path,
        extensions={"checks": checks},
    )


async def _check(probe: object) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)  # type: ignore[arg-type]
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


async def _bus_ready(request: Request) -> bool:
    try:
        return bool(await request.app.state.bus.ping())
    except Exception:
        return False


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/v1/me",
    summary="Who the token says the caller is (role, centre, station)",
    responses=PROBLEM_RESPONSES,
)
async def me(principal: CurrentPrincipal) -> Principal:
    return principal
