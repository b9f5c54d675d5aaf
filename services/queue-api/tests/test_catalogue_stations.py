from __future__ import annotations

from datetime import datetime

import httpx

from cw_shared.testing import bearer
from queue_api.config import QueueSettings

from .catalogue import admin, locations, make_centre, make_station
from .clock import SimulatedClock


async def test_admin_registers_a_station_and_a_retry_does_not_make_a_second(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings, "shengsi")
    body = {"id": "huaniao", "centre_id": "shengsi", "name": "花鸟乡便民服务点"}
    headers = admin(settings) | {"Idempotency-Key": "station-huaniao"}
    first = await client.post("/v1/stations", json=body, headers=headers)
    retry = await client.post("/v1/stations", json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert first.json()["heartbeat_at"] is None

    taken = await client.post("/v1/stations", json=body, headers=admin(settings))
    assert taken.status_code == 409


async def test_a_station_needs_a_live_centre(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    headers = admin(settings)
    body = {"id": "huaniao", "centre_id": "shengsi", "name": "花鸟"}
    assert locations(await client.post("/v1/stations", json=body, headers=headers)) == [
        "body.centre_id"
    ]
    await make_centre(client, settings, "shengsi")
    await client.delete("/v1/centres/shengsi", headers=headers)
    assert locations(await client.post("/v1/stations", json=body, headers=headers)) == [
        "body.centre_id"
    ]
    bad = {"id": "Hua Niao", "centre_id": "shengsi", "name": "", "extra": 1}
    assert locations(await client.post("/v1/stations", json=bad, headers=headers)) == [
        "body.id",
        "body.name",
        "body.extra",
    ]


async def test_each_role_reads_the_stations_it_may(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings, "dinghai")
    await make_centre(client, settings, "shengsi")
    await make_station(client, settings, "changbai", "dinghai")
    await make_station(client, settings, "huaniao", "shengsi")
    await make_station(client, settings, "gouqi", "shengsi")

    async def listed(headers: dict[str, str], **params: str) -> list[str]:
        response = await client.get("/v1/stations", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["items"]]

    assert await listed(admin(settings)) == ["changbai", "gouqi", "huaniao"]
    assert await listed(bearer(settings, "integrator"), centre_id="shengsi") == ["gouqi", "huaniao"]
    clerk = bearer(settings, "clerk", centre="shengsi")
    assert await listed(clerk) == ["gouqi", "huaniao"]
    assert await listed(bearer(settings, "expert", centre="dinghai")) == ["changbai"]
    agent = bearer(settings, "agent", station="huaniao")
    assert await listed(agent) == ["huaniao"]

    forbidden = [
        client.get("/v1/stations", params={"centre_id": "dinghai"}, headers=clerk),
        client.get("/v1/stations/changbai", headers=clerk),
        client.get("/v1/stations/gouqi", headers=agent),
        client.get("/v1/stations", headers=bearer(settings, "citizen")),
        client.get("/v1/stations/huaniao", headers=bearer(settings, "citizen")),
    ]
    for attempt in forbidden:
        assert (await attempt).status_code == 403
    own = await client.get("/v1/stations/huaniao", headers=agent)
    assert own.json()["centre_id"] == "shengsi"
    assert (await client.get("/v1/stations/nowhere", headers=admin(settings))).status_code == 404


async def test_an_agent_beats_for_its_own_station_only(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    client = app_client
    await make_centre(client, settings, "shengsi")
    await make_station(client, settings, "huaniao", "shengsi")
    await make_station(client, settings, "gouqi", "shengsi")

    agent = bearer(settings, "agent", station="huaniao")
    beat = await client.post("/v1/stations/huaniao/heartbeat", headers=agent)
    assert beat.status_code == 200
    assert beat.json()["station_id"] == "huaniao"
    assert datetime.fromisoformat(beat.json()["heartbeat_at"]) == clock.now()
    clock.advance(seconds=30)
    await client.post("/v1/stations/huaniao/heartbeat", headers=agent)
    station = (await client.get("/v1/stations/huaniao", headers=agent)).json()
    assert datetime.fromisoformat(station["heartbeat_at"]) == clock.now()

    other = await client.post("/v1/stations/gouqi/heartbeat", headers=agent)
    assert other.status_code == 403
    clerk = bearer(settings, "clerk", centre="shengsi")
    assert (await client.post("/v1/stations/gouqi/heartbeat", headers=clerk)).status_code == 403
    by_admin = await client.post("/v1/stations/gouqi/heartbeat", headers=admin(settings))
    assert by_admin.status_code == 200
    gouqi = (await client.get("/v1/stations/gouqi", headers=admin(settings))).json()
    assert gouqi["heartbeat_at"] is not None


async def test_a_station_is_renamed_and_deleted(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings, "shengsi")
    await make_station(client, settings, "huaniao", "shengsi")
    headers = admin(settings)
    renamed = await client.patch(
        "/v1/stations/huaniao", json={"name": "花鸟乡便民服务中心"}, headers=headers
    )
    assert renamed.json()["name"] == "花鸟乡便民服务中心"
    moved = await client.patch("/v1/stations/huaniao", json={"centre_id": "x"}, headers=headers)
    assert locations(moved) == ["body.centre_id"]

    assert (await client.delete("/v1/stations/huaniao", headers=headers)).status_code == 204
    assert (await client.get("/v1/stations/huaniao", headers=headers)).status_code == 404
    assert (await client.get("/v1/stations", headers=headers)).json()["items"] == []
    agent = bearer(settings, "agent", station="huaniao")
    assert (await client.post("/v1/stations/huaniao/heartbeat", headers=agent)).status_code == 404
    body = {"id": "huaniao", "centre_id": "shengsi", "name": "again"}
    assert (await client.post("/v1/stations", json=body, headers=headers)).status_code == 409


async def test_pages_walk_a_centres_stations_once(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings, "dinghai")
    await make_centre(client, settings, "shengsi")
    ids = [f"point-{n}" for n in range(5)]
    for station_id in ids:
        await make_station(client, settings, station_id, "shengsi")
    await make_station(client, settings, "changbai", "dinghai")
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2, "centre_id": "shengsi"}
    while True:
        page = (await client.get("/v1/stations", params=params, headers=admin(settings))).json()
        seen += [s["id"] for s in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ids
