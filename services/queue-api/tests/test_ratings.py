from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from cw_shared.db import Database
from cw_shared.tables import OutboxRow
from cw_shared.testing import bearer, eventually, migrated_and_running
from queue_api.config import QueueSettings
from queue_api.main import create_app
from queue_api.ratings.service import RECTIFICATION_DAYS, overdue_loop

from .clock import SimulatedClock
from .conftest import SERVICE_DIR
from .seed import T0, seed


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def clerk(settings: QueueSettings, n: int = 1, centre: str = "dinghai") -> dict[str, str]:
    return bearer(settings, "clerk", sub=f"clerk-{n}", centre=centre)


def admin(settings: QueueSettings) -> dict[str, str]:
    return bearer(settings, "admin", sub="admin-1")


async def take(
    client: httpx.AsyncClient,
    settings: QueueSettings,
    holder: str,
    *,
    item: str = "HJ",
    agent: bool = False,
) -> str:
    """A number for ``holder``, from the app or, with ``agent``, through the 花鸟岛 station."""
    body = {"centre_id": "dinghai", "item_code": item}
    if agent:
        headers = bearer(settings, "agent", sub="agent-1", station="huaniao")
        body["holder_sub"] = holder
    else:
        headers = bearer(settings, "citizen", sub=holder)
    response = await client.post("/v1/tickets", json=body, headers=headers | key())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def call(
    client: httpx.AsyncClient, settings: QueueSettings, ticket_id: str, *, counter: int = 1
) -> None:
    response = await client.post(
        f"/v1/tickets/{ticket_id}/call",
        json={"counter_id": f"w{counter}"},
        headers=clerk(settings, counter),
    )
    assert response.json()["state"] == "called", response.text


async def finish(
    client: httpx.AsyncClient,
    settings: QueueSettings,
    ticket_id: str,
    *,
    counter: int = 1,
    outcome: str = "done",
    clock: SimulatedClock | None = None,
    minutes: float = 0,
) -> None:
    """Serve the called ticket for ``minutes`` (of the simulated clock) and complete it."""
    path = f"/v1/tickets/{ticket_id}"
    assert (await client.post(f"{path}/serve", headers=clerk(settings, counter))).status_code == 200
    if clock is not None:
        clock.advance(minutes=minutes)
    body = {"outcome": outcome}
    if outcome == "done":
        body["case_number"] = f"330902-2026-{ticket_id[-6:]}"
    response = await client.post(f"{path}/complete", json=body, headers=clerk(settings, counter))
    assert response.json()["state"] == "completed", response.text


async def completed(
    client: httpx.AsyncClient, settings: QueueSettings, holder: str = "citizen-1", **how: Any
) -> str:
    ticket_id = await take(client, settings, holder, agent=how.pop("agent", False))
    await call(client, settings, ticket_id)
    await finish(client, settings, ticket_id, **how)
    return ticket_id


async def rate(
    client: httpx.AsyncClient,
    settings: QueueSettings,
    ticket_id: str,
    score: int,
    *,
    who: str = "citizen-1",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> httpx.Response:
    headers = headers or bearer(settings, "citizen", sub=who)
    return await client.post(
        f"/v1/tickets/{ticket_id}/rating", json={"score": score} | fields, headers=headers | key()
    )


async def recorded(settings: QueueSettings, event_type: str) -> list[dict[str, Any]]:
    """The envelopes of the events of this type in the outbox, oldest first."""
    database = Database(settings.database_url)
    try:
        async with database.sessionmaker() as session:
            rows = await session.scalars(
                select(OutboxRow.envelope)
                .where(OutboxRow.event_type == event_type)
                .order_by(OutboxRow.seq)
            )
            return [json.loads(envelope) for envelope in rows]
    finally:
        await database.dispose()


async def the_rectification(client: httpx.AsyncClient, settings: QueueSettings) -> dict[str, Any]:
    listed = await client.get("/v1/rectifications", headers=clerk(settings))
    [rectification] = listed.json()["items"]
    return dict(rectification)


async def test_the_holder_rates_a_completed_ticket_once(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    ticket_id = await completed(app_client, settings)
    headers = bearer(settings, "citizen", sub="citizen-1") | key()
    body = {
        "score": 5,
        "indicators": {"overall": 5, "efficiency": 4, "attitude": 5},
        "comment": "窗口人员耐心细致",
    }
    first = await app_client.post(f"/v1/tickets/{ticket_id}/rating", json=body, headers=headers)
    assert first.status_code == 201, first.text
    rating = first.json()
    assert rating["case_number"] == f"330902-2026-{ticket_id[-6:]}"
    assert (rating["item_code"], rating["counter_id"], rating["holder_sub"]) == (
        "HJ",
        "w1",
        "citizen-1",
    )
    assert (rating["score"], rating["score_label"]) == (5, "非常满意")
    assert rating["indicators"] == {
        "overall": 5,
        "efficiency": 4,
        "competence": None,
        "attitude": 5,
    }
    assert datetime.fromisoformat(rating["rated_at"]) == T0

    replay = await app_client.post(f"/v1/tickets/{ticket_id}/rating", json=body, headers=headers)
    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, "true")
    second = await rate(app_client, settings, ticket_id, 1)
    assert second.status_code == 409
    assert datetime.fromisoformat(second.json()["rated_at"]) == T0

    path = f"/v1/tickets/{ticket_id}/rating"
    for reader in (bearer(settings, "citizen", sub="citizen-1"), clerk(settings), admin(settings)):
        assert (await app_client.get(path, headers=reader)).json() == rating
    [event] = await recorded(settings, "rating.submitted")
    assert (event["subject"], event["actor"], event["data"]["score"]) == (
        ticket_id,
        "citizen-1",
        5,
    )
    assert event["data"]["case_number"] == rating["case_number"]
    assert await recorded(settings, "rectification.opened") == []


async def test_only_a_completed_ticket_is_rated(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    ticket_id = await take(app_client, settings, "citizen-1")
    waiting = await rate(app_client, settings, ticket_id, 5)
    assert waiting.status_code == 409
    assert (waiting.json()["type"], waiting.json()["state"]) == (
        "urn:cw:problem:invalid-transition",
        "waiting",
    )
    await call(app_client, settings, ticket_id)
    assert (await rate(app_client, settings, ticket_id, 5)).json()["state"] == "called"
    unrated = await app_client.get(
        f"/v1/tickets/{ticket_id}/rating", headers=bearer(settings, "citizen", sub="citizen-1")
    )
    assert unrated.status_code == 404


async def test_strangers_cannot_rate_and_staff_do_not_rate_for_the_resident(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    ticket_id = await completed(app_client, settings)
    stranger = await rate(app_client, settings, ticket_id, 1, who="citizen-2")
    assert stranger.status_code == 404
    other_centre = clerk(settings, centre="putuo")
    assert (await rate(app_client, settings, ticket_id, 1, headers=other_centre)).status_code == 404
    assert (
        await rate(app_client, settings, ticket_id, 5, headers=clerk(settings))
    ).status_code == (403)
    path = f"/v1/tickets/{ticket_id}/rating"
    assert (await app_client.get(path, headers=other_centre)).status_code == 404
    assert (
        await app_client.get(path, headers=bearer(settings, "citizen", sub="citizen-2"))
    ).status_code == 404


async def test_the_agent_of_the_station_rates_on_the_residents_behalf(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url, heartbeat_at=T0)
    ticket_id = await completed(app_client, settings, "citizen-9", agent=True)
    agent = bearer(settings, "agent", sub="agent-2", station="huaniao")
    rated = await rate(app_client, settings, ticket_id, 4, headers=agent)
    assert (rated.status_code, rated.json()["holder_sub"]) == (201, "citizen-9")
    [event] = await recorded(settings, "rating.submitted")
    assert event["actor"] == "agent-2"
    resident = bearer(settings, "citizen", sub="citizen-9")
    assert (await app_client.get(f"/v1/tickets/{ticket_id}/rating", headers=resident)).json()[
        "score"
    ] == 4


async def test_a_bad_rating_opens_a_rectification_due_in_five_days(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    ticket_id = await completed(app_client, settings)
    assert (await rate(app_client, settings, ticket_id, 2, comment="等太久")).status_code == 201
    rectification = await the_rectification(app_client, settings)
    assert (rectification["ticket_id"], rectification["state"], rectification["score"]) == (
        ticket_id,
        "open",
        2,
    )
    assert datetime.fromisoformat(rectification["due_at"]) == T0 + timedelta(days=5)
    assert RECTIFICATION_DAYS == 5
    assert rectification["overdue"] is False
    [opened] = await recorded(settings, "rectification.opened")
    assert opened["data"]["rectification_id"] == rectification["id"]

    path = f"/v1/rectifications/{rectification['id']}"
    assert (await app_client.get(path, headers=admin(settings))).json() == rectification
    assert (await app_client.get(path, headers=clerk(settings, centre="putuo"))).status_code == 404
    other = await app_client.get(
        "/v1/rectifications?centre_id=dinghai", headers=clerk(settings, centre="putuo")
    )
    assert other.status_code == 403
    assert (
        await app_client.get("/v1/rectifications", headers=bearer(settings, "citizen"))
    ).status_code == 403
    closed = await app_client.get("/v1/rectifications?state=closed", headers=admin(settings))
    assert closed.json()["items"] == []


async def test_an_overdue_rectification_is_flagged_exactly_once(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    ticket_id = await completed(app_client, settings)
    await rate(app_client, settings, ticket_id, 1)
    check = "/v1/rectifications/overdue-check"
    assert (await app_client.post(check, headers=clerk(settings))).status_code == 403
    clock.advance(days=5)  # due now, not yet past due
    assert (await app_client.post(check, headers=admin(settings))).json() == {"flagged": 0}
    clock.advance(minutes=1)
    assert (await app_client.post(check, headers=admin(settings))).json() == {"flagged": 1}
    assert (await app_client.post(check, headers=admin(settings))).json() == {"flagged": 0}

    [overdue] = await recorded(settings, "bad_review.overdue")
    rectification = await the_rectification(app_client, settings)
    assert overdue["subject"] == rectification["id"]
    assert (overdue["data"]["ticket_id"], overdue["data"]["centre_id"]) == (ticket_id, "dinghai")
    assert rectification["overdue"] is True
    assert datetime.fromisoformat(rectification["overdue_notified_at"]) == clock.now()


async def test_the_revisit_closes_the_rectification(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    await rate(app_client, settings, await completed(app_client, settings), 2)
    rectification = await the_rectification(app_client, settings)
    path = f"/v1/rectifications/{rectification['id']}"
    clock.advance(days=1)
    note = {"note": "电话回访，已说明材料清单"}
    revisited = await app_client.post(f"{path}/revisit", json=note, headers=clerk(settings))
    body = revisited.json()
    assert (body["state"], body["revisit_note"]) == ("closed", note["note"])
    assert datetime.fromisoformat(body["revisited_at"]) == T0 + timedelta(days=1)
    assert body["closed_at"] == body["revisited_at"]
    again = await app_client.post(f"{path}/revisit", json=note, headers=clerk(settings))
    assert (again.status_code, again.json()["state"]) == (409, "closed")
    clock.advance(days=10)
    check = await app_client.post("/v1/rectifications/overdue-check", headers=admin(settings))
    assert check.json() == {"flagged": 0}  # closed in time: never overdue
    assert len(await recorded(settings, "rectification.revisited")) == 1


async def test_an_appeal_is_decided_by_an_admin(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    await rate(app_client, settings, await completed(app_client, settings, "citizen-1"), 1)
    await rate(
        app_client, settings, await completed(app_client, settings, "citizen-2"), 2, who="citizen-2"
    )
    first, second = (
        await app_client.get("/v1/rectifications?state=open", headers=clerk(settings))
    ).json()["items"]
    reason = {"reason": "评价与所办事项无关"}
    for rectification in (first, second):
        appealed = await app_client.post(
            f"/v1/rectifications/{rectification['id']}/appeal", json=reason, headers=clerk(settings)
        )
        assert appealed.json()["state"] == "appealed"
    decide = f"/v1/rectifications/{first['id']}/appeal-decision"
    upheld = {"decision": "upheld"}
    assert (await app_client.post(decide, json=upheld, headers=clerk(settings))).status_code == 403
    decided = (await app_client.post(decide, json=upheld, headers=admin(settings))).json()
    assert (decided["state"], decided["appeal_decision"]) == ("closed", "upheld")

    path = f"/v1/rectifications/{second['id']}"
    rejected = await app_client.post(
        f"{path}/appeal-decision", json={"decision": "rejected"}, headers=admin(settings)
    )
    assert (rejected.json()["state"], rejected.json()["appeal_decision"]) == ("open", "rejected")
    twice = await app_client.post(f"{path}/appeal", json=reason, headers=clerk(settings))
    assert (twice.status_code, twice.json()["appeal_decision"]) == (409, "rejected")
    revisit = {"note": "已回访"}
    closed = await app_client.post(f"{path}/revisit", json=revisit, headers=clerk(settings))
    assert closed.json()["state"] == "closed"


async def test_the_overdue_loop_flags_in_the_background(
    settings: QueueSettings, clock: SimulatedClock
) -> None:
    apps: list[FastAPI] = []

    def make(s: QueueSettings) -> FastAPI:
        app = create_app(s)
        app.state.clock = clock
        apps.append(app)
        return app

    async with migrated_and_running(SERVICE_DIR, make, settings) as client:
        await seed(settings.database_url)
        await rate(client, settings, await completed(client, settings), 2)
        clock.advance(days=6)
        stop = asyncio.Event()
        loop = asyncio.create_task(overdue_loop(apps[0], stop=stop, interval_seconds=0.05))

        async def flagged() -> list[dict[str, Any]]:
            return await recorded(settings, "bad_review.overdue")

        await eventually(flagged)
        await asyncio.sleep(0.2)  # a few more rounds
        stop.set()
        await asyncio.wait_for(loop, timeout=5)
        assert len(await flagged()) == 1
