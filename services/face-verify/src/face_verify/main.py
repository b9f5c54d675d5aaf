"""The face-verify application."""

from __future__ import annotations

from fastapi import FastAPI

from cw_shared.app import create_service_app
from face_verify.config import FaceSettings
from face_verify.references.router import router as references_router


def create_app(settings: FaceSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or FaceSettings(),
        title="Zhoujing Cloud Window — face-verify",
        description="1:1 face verification with liveness (人脸核验), on CPU, offline.",
        routers=[references_router],
        openapi_tags=[
            {"name": "references", "description": "Enrolled reference faces"},
            {"name": "operations", "description": "Health, readiness, metrics"},
        ],
    )
