from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from cw_shared.db import Database
from cw_shared.tables import OutboxRow
from cw_shared.testing import bearer
from face_verify.config import FaceSettings
from face_verify.references.models import ReferenceFace


async def enrol(settings: FaceSettings, subject: str) -> None:
    database = Database(settings.database_url)
    async with database.sessionmaker() as session, session.begin():
        session.add(
            ReferenceFace(
                subject=subject,
                template_ciphertext=b"\x00" * 64,
                key_id="k1",
                photo_sha256="ab" * 32,
                model="dlib-resnet-v1",
                enrolled_by="integrator-1",
                enrolled_at=datetime.now(UTC),
            )
        )
    await database.dispose()


async def test_the_reference_is_described_but_never_returned(
    client: httpx.AsyncClient, settings: FaceSettings
) -> None:
    await enrol(settings, "citizen-1")
    response = await client.get(
        "/v1/subjects/citizen-1/reference", headers=bearer(settings, "integrator")
    )
    assert response.status_code == 200
    assert response.json()["photo_sha256"] == "ab" * 32
    assert "template" not in response.text


async def test_a_citizen_cannot_read_references(
    client: httpx.AsyncClient, settings: FaceSettings
) -> None:
    await enrol(settings, "citizen-1")
    response = await client.get(
        "/v1/subjects/citizen-1/reference", headers=bearer(settings, "citizen", sub="citizen-1")
    )
    assert response.status_code == 403


async def test_erasure_removes_the_reference_and_announces_it(
    client: httpx.AsyncClient, settings: FaceSettings
) -> None:
    await enrol(settings, "citizen-2")
    admin = bearer(settings, "admin")
    assert (
        await client.delete("/v1/subjects/citizen-2/reference", headers=admin)
    ).status_code == 204
    gone = await client.get("/v1/subjects/citizen-2/reference", headers=admin)
    assert gone.status_code == 404
    assert gone.json()["type"] == "urn:cw:problem:not-found"

    database = Database(settings.database_url)
    async with database.sessionmaker() as session:
        [row] = (await session.scalars(select(OutboxRow))).all()
    await database.dispose()
    assert json.loads(row.envelope)["type"] == "reference.erased"


async def test_a_clerk_cannot_erase(client: httpx.AsyncClient, settings: FaceSettings) -> None:
    await enrol(settings, "citizen-3")
    response = await client.delete(
        "/v1/subjects/citizen-3/reference", headers=bearer(settings, "clerk", centre="dinghai")
    )
    assert response.status_code == 403


async def test_a_malformed_subject_is_422(
    client: httpx.AsyncClient, settings: FaceSettings
) -> None:
    response = await client.get("/v1/subjects/a%20b/reference", headers=bearer(settings, "admin"))
    assert response.status_code == 422
