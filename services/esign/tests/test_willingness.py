"""意愿认证 evidence arrives only as face-verify's events over the real bus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest

from cw_shared.events import Event
from cw_shared.local import NatsServer
from cw_shared.metrics import EVENTS_HANDLED
from cw_shared.testing import bearer, eventually
from esign.config import EsignSettings

CONSUMER = "esign__face_verified"


def face_verified(
    *, source: str = "face-verify", minutes_ago: float = 1, room: str = "room-1"
) -> Event:
    return Event(
        source=source,
        type="face.verified",
        subject="citizen-1",
        data={
            "verification_id": f"fv-{source}-{minutes_ago}-{room}",
            "subject": "citizen-1",
            "room_id": room,
            "ticket_id": "A0001",
            "score": 93.5,
            "decided_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        },
    )


async def publish(nats_server: NatsServer, *events: Event) -> None:
    client = await nats.connect(nats_server.url)
    js = client.jetstream()
    for event in events:
        await js.publish(
            f"cw.{event.type}", event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
        )
    await client.close()


def handled() -> float:
    return sum(
        EVENTS_HANDLED.labels("esign", CONSUMER, outcome)._value.get()
        for outcome in ("handled", "duplicate")
    )


async def willingness(
    client: httpx.AsyncClient, settings: EsignSettings, room: str
) -> dict[str, object]:
    response = await client.get(
        "/v1/subjects/citizen-1/willingness",
        params={"room_id": room},
        headers=bearer(settings, "clerk", centre="dinghai"),
    )
    assert response.status_code == 200
    result: dict[str, object] = response.json()
    return result


async def test_a_recent_verification_in_the_room_satisfies_willingness(
    client: httpx.AsyncClient, settings: EsignSettings, nats_server: NatsServer
) -> None:
    assert (await willingness(client, settings, "room-1"))["satisfied"] is False
    await publish(nats_server, face_verified())

    async def satisfied() -> bool:
        return bool((await willingness(client, settings, "room-1"))["satisfied"])

    await eventually(satisfied)
    assert (await willingness(client, settings, "room-2"))["satisfied"] is False


@pytest.mark.parametrize(
    "event",
    [face_verified(source="someone-else"), face_verified(minutes_ago=30)],
    ids=["forged-source", "too-old"],
)
async def test_forged_or_stale_evidence_does_not_count(
    client: httpx.AsyncClient, settings: EsignSettings, nats_server: NatsServer, event: Event
) -> None:
    before = handled()
    await publish(nats_server, event)
    await eventually(lambda: _at_least(before + 1))
    assert (await willingness(client, settings, "room-1"))["satisfied"] is False


async def test_only_clerks_and_admins_ask(
    client: httpx.AsyncClient, settings: EsignSettings
) -> None:
    response = await client.get(
        "/v1/subjects/citizen-1/willingness",
        params={"room_id": "room-1"},
        headers=bearer(settings, "citizen", sub="citizen-1"),
    )
    assert response.status_code == 403


async def _at_least(count: float) -> bool:
    return handled() >= count
