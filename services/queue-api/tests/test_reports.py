from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from cw_shared.db import Database
from cw_shared.testing import bearer
from queue_api.config import QueueSettings
from queue_api.tickets.models import Ticket

from .clock import SimulatedClock
from .seed import T0, seed
from .test_ratings import admin, call, clerk, finish, rate, take

DAY = "2026-11-23"  # T0 is 17:00 in Zhoushan


async def report(
    client: httpx.AsyncClient, settings: QueueSettings, day: str = DAY, **params: str
) -> dict[str, Any]:
    response = await client.get(
        "/v1/reports/daily",
        params={"centre_id": "dinghai", "day": day} | params,
        headers=clerk(settings),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def script_a_day(
    client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> dict[str, str]:
    """Four residents take numbers at 17:00 local; two are done, one does not come, one is
    asked for more material (补正). The first rates 5, the second 2."""
    a, b, c, d = [await take(client, settings, f"c{n}") for n in range(1, 5)]
    clock.advance(minutes=10)  # 17:10
    await call(client, settings, a, counter=1)
    await finish(client, settings, a, counter=1, clock=clock, minutes=8)
    clock.current = T0 + timedelta(minutes=20)
    await call(client, settings, b, counter=2)
    await finish(client, settings, b, counter=2, clock=clock, minutes=15)
    clock.current = T0 + timedelta(minutes=40)
    await call(client, settings, c, counter=1)
    for _ in range(2):
        await client.post(f"/v1/tickets/{c}/recall", headers=clerk(settings, 1))
    no_show = await client.post(f"/v1/tickets/{c}/no-show", headers=clerk(settings, 1))
    assert no_show.json()["state"] == "no_show"
    clock.current = T0 + timedelta(minutes=50)
    await call(client, settings, d, counter=2)
    await finish(client, settings, d, counter=2, outcome="needs_material", clock=clock, minutes=10)
    assert (await rate(client, settings, a, 5, who="c1")).status_code == 201
    assert (await rate(client, settings, b, 2, who="c2")).status_code == 201
    return {"a": a, "b": b, "c": c, "d": d}


async def test_a_scripted_day_by_centre_and_by_counter(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    await script_a_day(app_client, settings, clock)

    centre = await report(app_client, settings)
    assert (centre["day"], centre["group_by"], centre["target_wait_minutes"]) == (
        DAY,
        "centre",
        20,
    )
    assert centre["rows"] == [
        {
            "centre_id": "dinghai",
            "item_code": None,
            "counter_id": None,
            "issued": 4,
            "called": 4,
            "served": 3,
            "no_shows": 1,
            "no_show_rate": 0.25,
            "wait_p50_minutes": 20.0,  # waits 10, 20, 40, 50
            "wait_p90_minutes": 50.0,
            "within_target_rate": 0.5,
            "service_p50_minutes": 10.0,  # services 8, 15, 10
            "service_p90_minutes": 15.0,
            "done": 2,
            "first_time_rate": 1.0,
            "ratings": 2,
            "good_rate": 0.5,
            "bad_rate": 0.5,
            "unrated_rate": 0.3333,
        }
    ]

    by_counter = await report(app_client, settings, group_by="counter")
    w1, w2 = by_counter["rows"]
    assert (w1["counter_id"], w1["item_code"], w2["counter_id"]) == ("w1", None, "w2")
    assert {k: w1[k] for k in ("issued", "served", "no_shows", "no_show_rate")} == {
        "issued": 2,
        "served": 1,
        "no_shows": 1,
        "no_show_rate": 0.5,
    }
    assert (w1["wait_p50_minutes"], w1["wait_p90_minutes"], w1["within_target_rate"]) == (
        10.0,
        40.0,
        0.5,
    )
    assert (w1["good_rate"], w1["bad_rate"], w1["unrated_rate"]) == (1.0, 0.0, 0.0)
    assert (w2["service_p50_minutes"], w2["service_p90_minutes"]) == (10.0, 15.0)
    assert (w2["ratings"], w2["good_rate"], w2["bad_rate"], w2["unrated_rate"]) == (
        1,
        0.0,
        1.0,
        0.5,
    )

    only_w2 = await report(app_client, settings, counter_id="w2", group_by="item")
    [row] = only_w2["rows"]
    assert (row["item_code"], row["issued"], row["done"]) == ("HJ", 2, 1)


async def test_an_empty_day_has_a_centre_row_without_rates(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    [row] = (await report(app_client, settings, day="2026-11-20"))["rows"]
    assert (row["issued"], row["wait_p50_minutes"], row["good_rate"], row["unrated_rate"]) == (
        0,
        None,
        None,
        None,
    )
    assert (await report(app_client, settings, day="2026-11-20", group_by="item"))["rows"] == []


async def test_someone_who_came_back_after_a_request_for_material_is_not_done_first_time(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)

    async def visit(holder: str, outcome: str, *, item: str = "HJ") -> None:
        ticket_id = await take(app_client, settings, holder, item=item)
        await call(app_client, settings, ticket_id)
        await finish(app_client, settings, ticket_id, outcome=outcome)

    clock.current = T0 - timedelta(days=33)
    await visit("c6", "needs_material")  # more than 30 days before: forgotten
    clock.current = T0 - timedelta(days=1)
    await visit("c4", "needs_material")
    await visit("c7", "rejected", item="QY")  # another item
    clock.current = T0
    for holder in ("c4", "c5", "c6", "c7"):
        await visit(holder, "done")

    [row] = (await report(app_client, settings))["rows"]
    assert (row["done"], row["first_time_rate"]) == (4, 0.75)
    [yesterday] = (await report(app_client, settings, day="2026-11-22"))["rows"]
    assert (yesterday["served"], yesterday["done"], yesterday["first_time_rate"]) == (2, 0, None)


async def test_an_upheld_appeal_takes_the_rating_out_of_the_bad_review_rate(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    await script_a_day(app_client, settings, clock)
    [rectification] = (await app_client.get("/v1/rectifications", headers=clerk(settings))).json()[
        "items"
    ]
    path = f"/v1/rectifications/{rectification['id']}"
    await app_client.post(f"{path}/appeal", json={"reason": "误评"}, headers=clerk(settings))
    await app_client.post(
        f"{path}/appeal-decision", json={"decision": "upheld"}, headers=admin(settings)
    )
    [row] = (await report(app_client, settings))["rows"]
    assert (row["ratings"], row["good_rate"], row["bad_rate"], row["unrated_rate"]) == (
        1,
        1.0,
        0.0,
        0.3333,
    )


async def test_appointments_wait_from_their_booked_time(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    """An appointment booked for 17:30 and called at 17:35 waited 5 minutes, not 35."""
    await seed(settings.database_url)
    ticket_id = await take(app_client, settings, "c1")
    database = Database(settings.database_url)
    async with database.sessionmaker() as session, session.begin():
        ticket = await session.get_one(Ticket, ticket_id)
        ticket.queue_class = "appointment"
        ticket.queued_at = T0 + timedelta(minutes=30)
    await database.dispose()
    clock.current = T0 + timedelta(minutes=35)
    await call(app_client, settings, ticket_id)
    [row] = (await report(app_client, settings))["rows"]
    assert (row["wait_p50_minutes"], row["within_target_rate"]) == (5.0, 1.0)


async def test_who_may_read_a_centres_report(
    app_client: httpx.AsyncClient, settings: QueueSettings
) -> None:
    await seed(settings.database_url)
    query = {"centre_id": "dinghai", "day": DAY}
    path = "/v1/reports/daily"
    other = clerk(settings, centre="putuo")
    assert (await app_client.get(path, params=query, headers=other)).status_code == 403
    citizen = bearer(settings, "citizen")
    assert (await app_client.get(path, params=query, headers=citizen)).status_code == 403
    assert (await app_client.get(path, params=query, headers=admin(settings))).status_code == 200
    unknown = query | {"centre_id": "nowhere"}
    assert (await app_client.get(path, params=unknown, headers=admin(settings))).status_code == 404
    bad_day = query | {"day": "23/11/2026"}
    assert (await app_client.get(path, params=bad_day, headers=admin(settings))).status_code == 422
