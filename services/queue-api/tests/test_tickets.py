from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from cw_shared.testing import bearer
from queue_api.config import QueueSettings

from .clock import SimulatedClock
from .seed import OFFICE_HOURS, seed


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def take(
    client: httpx.AsyncClient,
    settings: QueueSettings,
    *,
    item: str = "HJ",
    who: str = "citizen-1",
    role: str = "citizen",
    **claims: str,
) -> httpx.Response:
    headers = bearer(settings, role, sub=who, **claims) | key()
    body = {"centre_id": "dinghai", "item_code": item}
    if role != "citizen":
        body["holder_sub"] = "citizen-9"
    return await client.post("/v1/tickets", json=body, headers=headers)


async def test_a_citizen_takes_a_number_with_position_and_expected_wait(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    first = (await take(app_client, settings, who="c1")).json()
    second = await take(app_client, settings, who="c2")
    assert second.status_code == 201
    body = second.json()
    assert (first["number"], body["number"]) == ("A001", "A002")
    assert (body["channel"], body["holder_sub"], body["remote"]) == ("app", "c2", True)
    assert body["position"] == 2
    wait = body["expected_wait"]
    assert 0 < wait["p50_minutes"] <= wait["p90_minutes"]


async def test_a_ticket_needs_an_idempotency_key(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    response = await app_client.post(
        "/v1/tickets",
        json={"centre_id": "dinghai", "item_code": "HJ"},
        headers=bearer(settings, "citizen"),
    )
    assert response.status_code == 400
    assert response.json()["type"] == "urn:cw:problem:idempotency-key-missing"


async def test_the_same_key_five_times_at_once_gives_one_ticket(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    headers = bearer(settings, "agent", sub="agent-1", station="huaniao") | key()
    body = {"centre_id": "dinghai", "item_code": "HJ", "holder_sub": "citizen-3"}
    replies = await asyncio.gather(
        *(app_client.post("/v1/tickets", json=body, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in replies} == {201}
    assert {r.json()["id"] for r in replies} == {replies[0].json()["id"]}
    listed = await app_client.get("/v1/tickets", headers=bearer(settings, "admin"))
    assert len(listed.json()["items"]) == 1


async def test_an_agent_takes_a_number_for_a_resident_and_both_follow_it(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    ticket = (
        await take(app_client, settings, role="agent", who="agent-1", station="huaniao")
    ).json()
    assert (ticket["channel"], ticket["station_id"], ticket["agent_sub"]) == (
        "station",
        "huaniao",
        "agent-1",
    )
    path = f"/v1/tickets/{ticket['id']}"
    assert (
        await app_client.get(path, headers=bearer(settings, "citizen", sub="citizen-9"))
    ).status_code == 200
    assert (
        await app_client.get(path, headers=bearer(settings, "agent", sub="a2", station="huaniao"))
    ).status_code == 200
    assert (
        await app_client.get(path, headers=bearer(settings, "citizen", sub="someone-else"))
    ).status_code == 404
    assert (
        await app_client.get(path, headers=bearer(settings, "clerk", centre="putuo"))
    ).status_code == 404


async def test_numbers_restart_at_local_midnight(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    clock.current = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 23:30 in Zhoushan
    before = [(await take(app_client, settings, who=f"c{n}")).json()["number"] for n in range(2)]
    clock.advance(minutes=31)  # 00:01 the next local day
    after = (await take(app_client, settings, who="c9")).json()["number"]
    assert before == ["A001", "A002"]
    assert after == "A001"


async def test_a_closed_centre_and_a_late_request_are_refused_clearly(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url, hours=OFFICE_HOURS)
    clock.current = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # a Sunday
    closed = await take(app_client, settings)
    assert closed.status_code == 409
    assert closed.json()["type"] == "urn:cw:problem:centre-closed"
    assert closed.json()["next_opening"].startswith("2026-11-23T08:30")

    clock.current = datetime(2026, 11, 23, 9, 25, tzinfo=UTC)  # Monday 17:25, closing 17:30
    late = await take(app_client, settings)
    assert late.status_code == 409
    assert late.json()["type"] == "urn:cw:problem:too-late-today"
    assert "appointment" in late.json()["appointments"]


async def test_an_item_served_only_in_person_is_refused_remotely(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    remote = await take(app_client, settings, item="ZJ")
    assert remote.status_code == 409
    assert remote.json()["type"] == "urn:cw:problem:not-served-remotely"
    walk_in = await take(
        app_client, settings, item="ZJ", role="clerk", who="clerk-1", centre="dinghai"
    )
    assert walk_in.status_code == 201
    assert walk_in.json()["channel"] == "counter"


async def test_a_ticket_goes_from_call_to_completion(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    ticket = (await take(app_client, settings)).json()
    clerk = bearer(settings, "clerk", sub="clerk-1", centre="dinghai")
    called = await app_client.post("/v1/counters/w1/call-next", headers=clerk)
    assert (called.json()["id"], called.json()["state"], called.json()["counter_id"]) == (
        ticket["id"],
        "called",
        "w1",
    )
    path = f"/v1/tickets/{ticket['id']}"
    assert (await app_client.post(f"{path}/serve", headers=clerk)).json()["state"] == "serving"
    too_early = await app_client.post(f"{path}/complete", json={"outcome": "done"}, headers=clerk)
    assert too_early.status_code == 409  # a done case needs its case number
    done = await app_client.post(
        f"{path}/complete",
        json={"outcome": "done", "case_number": "330902-2026-000123"},
        headers=clerk,
    )
    assert (done.json()["state"], done.json()["outcome"]) == ("completed", "done")
    again = await app_client.post(f"{path}/serve", headers=clerk)
    assert again.status_code == 409
    assert (again.json()["type"], again.json()["state"]) == (
        "urn:cw:problem:invalid-transition",
        "completed",
    )
    assert (await app_client.post("/v1/counters/w1/call-next", headers=clerk)).status_code == 204


async def test_no_show_needs_the_recalls_unless_the_station_is_lost(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)  # the station never sent a heartbeat
    from_app = (await take(app_client, settings)).json()
    from_station = (
        await take(app_client, settings, role="agent", who="agent-1", station="huaniao")
    ).json()
    clerk = bearer(settings, "clerk", sub="clerk-1", centre="dinghai")
    await app_client.post("/v1/counters/w1/call-next", headers=clerk)
    early = await app_client.post(f"/v1/tickets/{from_app['id']}/no-show", headers=clerk)
    assert early.status_code == 409
    assert early.json()["recalls_required"] == 2
    for _ in range(2):
        await app_client.post(f"/v1/tickets/{from_app['id']}/recall", headers=clerk)
    assert (await app_client.post(f"/v1/tickets/{from_app['id']}/no-show", headers=clerk)).json()[
        "state"
    ] == "no_show"

    called = (await app_client.post("/v1/counters/w1/call-next", headers=clerk)).json()
    assert (called["id"], called["heartbeat_lost"]) == (from_station["id"], True)
    lost = await app_client.post(f"/v1/tickets/{from_station['id']}/no-show", headers=clerk)
    assert lost.json()["state"] == "no_show"


async def test_return_park_resume_transfer_and_cancel(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    a = (await take(app_client, settings, who="c1")).json()
    b = (await take(app_client, settings, who="c2")).json()
    clerk = bearer(settings, "clerk", sub="clerk-1", centre="dinghai")
    await app_client.post("/v1/counters/w1/call-next", headers=clerk)
    back = await app_client.post(
        f"/v1/tickets/{a['id']}/return", json={"position": "last"}, headers=clerk
    )
    assert (back.json()["state"], back.json()["position"]) == ("waiting", 2)
    called = (await app_client.post("/v1/counters/w1/call-next", headers=clerk)).json()
    assert called["id"] == b["id"]
    await app_client.post(f"/v1/tickets/{b['id']}/serve", headers=clerk)
    assert (await app_client.post(f"/v1/tickets/{b['id']}/park", headers=clerk)).json()[
        "state"
    ] == "parked"
    assert (await app_client.post(f"/v1/tickets/{b['id']}/resume", headers=clerk)).json()[
        "state"
    ] == "serving"
    moved = await app_client.post(
        f"/v1/tickets/{b['id']}/transfer", json={"counter_id": "w2"}, headers=clerk
    )
    assert moved.json()["state"] == "waiting"
    assert (await app_client.post("/v1/counters/w1/call-next", headers=clerk)).json()["id"] == a[
        "id"
    ]
    other = bearer(settings, "clerk", sub="clerk-2", centre="dinghai")
    assert (await app_client.post("/v1/counters/w2/call-next", headers=other)).json()["id"] == b[
        "id"
    ]

    c = (await take(app_client, settings, who="c3")).json()
    not_hers = await app_client.post(
        f"/v1/tickets/{c['id']}/cancel", headers=bearer(settings, "citizen", sub="c1")
    )
    assert not_hers.status_code == 404
    mine = await app_client.post(
        f"/v1/tickets/{c['id']}/cancel", headers=bearer(settings, "citizen", sub="c3")
    )
    assert mine.json()["state"] == "cancelled"


async def test_ten_clerks_calling_at_once_never_get_the_same_ticket(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url, counters=10)
    for n in range(25):
        assert (await take(app_client, settings, who=f"c{n}")).status_code == 201
    called: list[str] = []
    for _round in range(3):
        replies = await asyncio.gather(
            *(
                app_client.post(
                    f"/v1/counters/w{n}/call-next",
                    headers=bearer(settings, "clerk", sub=f"clerk-{n}", centre="dinghai"),
                )
                for n in range(1, 11)
            )
        )
        called += [r.json()["id"] for r in replies if r.status_code == 200]
    assert len(called) == 25
    assert len(set(called)) == 25


@pytest.mark.parametrize("rule", [["priority"], ["priority", "priority", "walk_in"]])
async def test_no_walk_in_waits_past_the_maximum_under_a_priority_flood(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock, rule: list[str]
) -> None:
    await seed(settings.database_url, counters=1, interleave=rule, max_wait_minutes=30)
    clerk = bearer(settings, "clerk", sub="clerk-1", centre="dinghai")
    walk_in = (await take(app_client, settings, who="walk-in")).json()
    issued = clock.now()
    called_at = None
    for minute in range(120):
        await take(app_client, settings, item="QY", who=f"firm-{minute}")  # a priority flood
        await take(app_client, settings, item="QY", who=f"firm-{minute}b")
        if minute % 2 == 0:
            reply = await app_client.post("/v1/counters/w1/call-next", headers=clerk)
            if reply.json()["id"] == walk_in["id"]:
                called_at = clock.now()
                break
            await app_client.post(f"/v1/tickets/{reply.json()['id']}/serve", headers=clerk)
            await app_client.post(
                f"/v1/tickets/{reply.json()['id']}/complete",
                json={"outcome": "done", "case_number": f"case-{minute}"},
                headers=clerk,
            )
        clock.advance(minutes=1)
    assert called_at is not None
    assert (called_at - issued).total_seconds() <= (30 + 2) * 60


async def test_integrators_need_their_scope_and_see_only_what_they_issued(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    body = {"centre_id": "dinghai", "item_code": "HJ", "holder_sub": "citizen-5"}
    unscoped = bearer(settings, "integrator", sub="zlb") | key()
    assert (await app_client.post("/v1/tickets", json=body, headers=unscoped)).status_code == 403
    scoped = bearer(settings, "integrator", sub="zlb", scopes=["queue:tickets"])
    taken = await app_client.post("/v1/tickets", json=body, headers=scoped | key())
    assert taken.json()["channel"] == "integrator"
    other = bearer(settings, "integrator", sub="other-app", scopes=["queue:tickets"])
    path = f"/v1/tickets/{taken.json()['id']}"
    assert (await app_client.get(path, headers=scoped)).status_code == 200
    assert (await app_client.get(path, headers=other)).status_code == 404


async def test_an_id_number_is_never_accepted_as_a_subject(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    body = {"centre_id": "dinghai", "item_code": "HJ", "holder_sub": "330902199001011234"}
    headers = bearer(settings, "agent", sub="agent-1", station="huaniao") | key()
    response = await app_client.post("/v1/tickets", json=body, headers=headers)
    assert response.status_code == 422
    assert "330902199001011234" not in response.text


async def test_a_counter_with_a_resident_at_it_cannot_be_closed(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    ticket = (await take(app_client, settings)).json()
    clerk = bearer(settings, "clerk", sub="clerk-1", centre="dinghai")
    await app_client.post("/v1/counters/w1/call-next", headers=clerk)
    refused = await app_client.post("/v1/counters/w1/close", headers=clerk)
    assert refused.status_code == 409
    assert refused.json()["ticket_number"] == ticket["number"]
    await app_client.post(f"/v1/tickets/{ticket['id']}/return", json={}, headers=clerk)
    assert (await app_client.post("/v1/counters/w1/close", headers=clerk)).status_code == 200
