from __future__ import annotations

from datetime import UTC, datetime

import httpx

from cw_shared.testing import bearer
from queue_api.config import QueueSettings

from .catalogue import (
    admin,
    locations,
    make_centre,
    make_counter,
    make_item,
    make_station,
    recorded_events,
)
from .clock import SimulatedClock

WORKDAY = [["08:30", "12:00"], ["13:30", "17:30"]]


async def test_a_new_centre_gets_office_hours_and_the_default_policy(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    centre = await make_centre(client, settings)
    assert centre["opening_hours"] == {
        **{day: WORKDAY for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [["09:00", "12:00"]],
    }
    assert (
        centre["max_wait_minutes"],
        centre["target_wait_minutes"],
        centre["no_show_after_recalls"],
        centre["interleave"],
    ) == (60, 20, 2, [])


async def test_invalid_opening_hours_are_refused_naming_each_day(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    hours = {
        "mon": [["08:30", "12:00"], ["11:30", "17:30"]],  # overlapping
        "tue": [["13:30", "17:30"], ["08:30", "12:00"]],  # out of order
        "wed": [["25:00", "26:00"]],  # no such time
        "thu": [["12:00", "08:30"]],  # ends before it starts
        "fri": [["24:00", "24:00"]],  # 24:00 only ends a day
        "sat": [["18:00", "24:00"]],  # fine: open until midnight
        "holiday": [],
    }
    response = await client.post(
        "/v1/centres",
        json={"id": "dinghai", "name": "定海", "opening_hours": hours},
        headers=admin(settings),
    )
    assert sorted(set(locations(response))) == [
        "body.opening_hours.fri.0.0",
        "body.opening_hours.holiday.[key]",
        "body.opening_hours.mon",
        "body.opening_hours.thu",
        "body.opening_hours.tue",
        "body.opening_hours.wed.0.0",
        "body.opening_hours.wed.0.1",
    ]


async def test_the_calling_policy_is_range_checked(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    body = {
        "id": "dinghai",
        "name": "定海",
        "max_wait_minutes": 30,
        "target_wait_minutes": 45,
        "no_show_after_recalls": 11,
        "interleave": ["priority", "vip"],
        "colour": "blue",
    }
    response = await client.post("/v1/centres", json=body, headers=admin(settings))
    assert locations(response) == [
        "body.target_wait_minutes",
        "body.no_show_after_recalls",
        "body.interleave.1",
        "body.colour",
    ]


async def test_patch_changes_what_is_sent_and_announces_it_once(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings)
    change = {"name": "定海新址", "interleave": ["priority", "walk_in", "walk_in"]}
    patched = await client.patch("/v1/centres/dinghai", json=change, headers=admin(settings))
    assert patched.status_code == 200
    assert patched.json()["name"] == "定海新址"
    assert patched.json()["interleave"] == ["priority", "walk_in", "walk_in"]
    assert patched.json()["opening_hours"]["mon"] == WORKDAY  # untouched

    again = await client.patch("/v1/centres/dinghai", json=change, headers=admin(settings))
    assert again.json() == patched.json()
    events = await recorded_events(settings, "centre.updated")
    assert [e["data"] for e in events] == [{"centre_id": "dinghai", "changed": change}]
    assert events[0]["actor"] == "admin-1"


async def test_patch_is_checked_against_the_current_values_and_changes_nothing_when_refused(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    before = await make_centre(client, settings)  # max 60, target 20
    headers = admin(settings)
    too_high = await client.patch(
        "/v1/centres/dinghai", json={"name": "x", "target_wait_minutes": 90}, headers=headers
    )
    assert locations(too_high) == ["body.target_wait_minutes"]
    too_low = await client.patch(
        "/v1/centres/dinghai", json={"max_wait_minutes": 10}, headers=headers
    )
    assert locations(too_low) == ["body.max_wait_minutes"]
    null = await client.patch("/v1/centres/dinghai", json={"name": None}, headers=headers)
    assert locations(null) == ["body.name"]
    bad_hours = {"opening_hours": {"mon": [["08:30", "12:00"], ["09:00", "10:00"]]}}
    assert locations(
        await client.patch("/v1/centres/dinghai", json=bad_hours, headers=headers)
    ) == ["body.opening_hours.mon"]

    assert (await client.get("/v1/centres/dinghai", headers=headers)).json() == before
    assert await recorded_events(settings, "centre.updated") == []


async def test_only_admins_change_centres(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings)
    clerk = bearer(settings, "clerk", centre="dinghai")
    attempts = [
        client.patch("/v1/centres/dinghai", json={"name": "x"}, headers=clerk),
        client.delete("/v1/centres/dinghai", headers=clerk),
        client.put("/v1/centres/dinghai/holidays/2026-10-01", json={"name": "x"}, headers=clerk),
        client.delete("/v1/centres/dinghai/holidays/2026-10-01", headers=clerk),
    ]
    for attempt in attempts:
        assert (await attempt).status_code == 403


async def test_a_deleted_centre_disappears_but_keeps_its_id(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings)
    await make_centre(client, settings, "putuo")
    headers = admin(settings)
    assert (await client.delete("/v1/centres/dinghai", headers=headers)).status_code == 204

    assert (await client.get("/v1/centres/dinghai", headers=headers)).status_code == 404
    listed = (await client.get("/v1/centres", headers=headers)).json()
    assert [c["id"] for c in listed["items"]] == ["putuo"]
    assert (await client.get("/v1/centres/dinghai/holidays", headers=headers)).status_code == 404
    gone = await client.patch("/v1/centres/dinghai", json={"name": "x"}, headers=headers)
    assert gone.status_code == 404
    assert (await client.delete("/v1/centres/dinghai", headers=headers)).status_code == 404
    again = await client.post("/v1/centres", json={"id": "dinghai", "name": "x"}, headers=headers)
    assert again.status_code == 409
    events = await recorded_events(settings, "centre.deleted")
    assert [e["data"] for e in events] == [{"centre_id": "dinghai"}]


async def test_a_centre_with_stations_or_counters_is_not_deleted(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings)
    await make_item(client, settings)
    await make_station(client, settings)
    await make_counter(client, settings)
    headers = admin(settings)

    refused = await client.delete("/v1/centres/dinghai", headers=headers)
    assert refused.status_code == 409
    assert (refused.json()["stations"], refused.json()["counters"]) == (["huaniao"], ["dinghai-01"])

    assert (await client.delete("/v1/stations/huaniao", headers=headers)).status_code == 204
    assert (await client.delete("/v1/counters/dinghai-01", headers=headers)).status_code == 204
    assert (await client.delete("/v1/centres/dinghai", headers=headers)).status_code == 204


async def test_holidays_are_upserted_listed_by_year_and_removed(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    client = app_client
    clock.current = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # already 2027 in Shanghai
    await make_centre(client, settings)
    headers = admin(settings)
    path = "/v1/centres/dinghai/holidays"

    first = await client.put(f"{path}/2026-10-01", json={"name": "国庆"}, headers=headers)
    assert first.status_code == 200
    renamed = await client.put(f"{path}/2026-10-01", json={"name": "国庆节"}, headers=headers)
    assert renamed.json() == {"centre_id": "dinghai", "day": "2026-10-01", "name": "国庆节"}
    same = await client.put(f"{path}/2026-10-01", json={"name": "国庆节"}, headers=headers)
    assert same.json() == renamed.json()
    await client.put(f"{path}/2027-01-01", json={"name": "元旦"}, headers=headers)

    citizen = bearer(settings, "citizen")
    in_2026 = await client.get(path, params={"year": 2026}, headers=citizen)
    assert [(h["day"], h["name"]) for h in in_2026.json()] == [("2026-10-01", "国庆节")]
    this_year = await client.get(path, headers=citizen)
    assert [h["day"] for h in this_year.json()] == ["2027-01-01"]

    assert (await client.delete(f"{path}/2026-10-01", headers=headers)).status_code == 204
    assert (await client.delete(f"{path}/2026-10-01", headers=headers)).status_code == 404
    assert (await client.get(path, params={"year": 2026}, headers=citizen)).json() == []

    changes = [e["data"]["changed"] for e in await recorded_events(settings, "centre.updated")]
    assert changes == [
        {"holidays": {"2026-10-01": "国庆"}},
        {"holidays": {"2026-10-01": "国庆节"}},
        {"holidays": {"2027-01-01": "元旦"}},
        {"holidays": {"2026-10-01": None}},
    ]


async def test_a_holiday_needs_a_real_day_and_a_name(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await make_centre(client, settings)
    headers = admin(settings)
    bad_day = await client.put(
        "/v1/centres/dinghai/holidays/2026-02-30", json={"name": "x"}, headers=headers
    )
    assert locations(bad_day) == ["path.day"]
    no_name = await client.put("/v1/centres/dinghai/holidays/2026-10-01", json={}, headers=headers)
    assert locations(no_name) == ["body.name"]
    unknown = await client.put(
        "/v1/centres/nowhere/holidays/2026-10-01", json={"name": "x"}, headers=headers
    )
    assert unknown.status_code == 404


async def test_an_unknown_centre_is_not_found(
    client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    response = await client.get("/v1/centres/nowhere", headers=bearer(settings, "citizen"))
    assert response.status_code == 404
    assert response.json()["type"] == "urn:cw:problem:not-found"
