from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from cw_shared.db import Database
from cw_shared.tables import OutboxRow
from cw_shared.testing import bearer
from queue_api.centres.models import ServiceCentre
from queue_api.config import QueueSettings

from .clock import SimulatedClock
from .seed import ALL_DAY, seed

ZHOUSHAN = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    """A local time at the centres (Monday 23 November 2026 by default)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ZHOUSHAN)


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def clerk(settings: QueueSettings, n: int = 1, centre: str = "dinghai") -> dict[str, str]:
    return bearer(settings, "clerk", sub=f"clerk-{n}", centre=centre)


def citizen(settings: QueueSettings, sub: str) -> dict[str, str]:
    return bearer(settings, "citizen", sub=sub)


def agent(settings: QueueSettings) -> dict[str, str]:
    return bearer(settings, "agent", sub="agent-1", station="huaniao")


async def open_slot(
    client: httpx.AsyncClient,
    settings: QueueSettings,
    starts: datetime,
    *,
    capacity: int = 5,
    item: str = "HJ",
    centre: str = "dinghai",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    body = {
        "item_code": item,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=15)).isoformat(),
        "capacity": capacity,
    }
    response = await client.post(
        f"/v1/centres/{centre}/appointment-slots",
        json=body,
        headers=headers or bearer(settings, "admin"),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def book(
    client: httpx.AsyncClient,
    slot: dict[str, Any],
    headers: dict[str, str],
    holder: str | None = None,
) -> httpx.Response:
    body = {"slot_id": slot["id"]} | ({"holder_sub": holder} if holder else {})
    return await client.post("/v1/appointments", json=body, headers=headers | key())


async def booked(
    client: httpx.AsyncClient, slot: dict[str, Any], settings: QueueSettings, who: str
) -> dict[str, Any]:
    response = await book(client, slot, citizen(settings, who))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def check_in(
    client: httpx.AsyncClient, appointment: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    return await client.post(f"/v1/appointments/{appointment['id']}/check-in", headers=headers)


async def slot_now(
    client: httpx.AsyncClient, settings: QueueSettings, slot: dict[str, Any]
) -> dict[str, Any] | None:
    day = datetime.fromisoformat(slot["starts_at"]).astimezone(ZHOUSHAN).date()
    listed = await client.get(
        f"/v1/centres/{slot['centre_id']}/appointment-slots?day={day.isoformat()}",
        headers=citizen(settings, "anyone"),
    )
    return next((s for s in listed.json() if s["id"] == slot["id"]), None)


async def add_centre(settings: QueueSettings, centre_id: str) -> None:
    database = Database(settings.database_url)
    async with database.sessionmaker() as session, session.begin():
        session.add(
            ServiceCentre(
                id=centre_id,
                name=centre_id,
                timezone="Asia/Shanghai",
                opening_hours=ALL_DAY,
                interleave=[],
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    await database.dispose()


async def recorded(settings: QueueSettings, event_type: str) -> list[dict[str, Any]]:
    database = Database(settings.database_url)
    async with database.sessionmaker() as session:
        envelopes = await session.scalars(
            select(OutboxRow.envelope)
            .where(OutboxRow.event_type == event_type)
            .order_by(OutboxRow.seq)
        )
        events = [json.loads(envelope) for envelope in envelopes]
    await database.dispose()
    return events


# ---------------------------------------------------------------- slots


async def test_a_clerk_opens_slots_and_anyone_signed_in_sees_the_seats_left(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    clock.current = at(8)
    morning = await open_slot(app_client, settings, at(9), capacity=2, headers=clerk(settings))
    await open_slot(app_client, settings, at(9), item="QY")
    await booked(app_client, morning, settings, "c1")

    listed = await app_client.get(
        "/v1/centres/dinghai/appointment-slots?item_code=HJ&day=2026-11-23",
        headers=citizen(settings, "c9"),
    )
    assert listed.status_code == 200
    assert [(s["id"], s["booked"], s["remaining"]) for s in listed.json()] == [
        (morning["id"], 1, 1)
    ]
    today = await app_client.get("/v1/centres/dinghai/appointment-slots", headers=agent(settings))
    assert [s["item_code"] for s in today.json()] == ["HJ", "QY"]
    tomorrow = await app_client.get(
        "/v1/centres/dinghai/appointment-slots?day=2026-11-24", headers=agent(settings)
    )
    assert tomorrow.json() == []


async def test_slots_must_be_sound_and_kept_by_the_centre(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    await add_centre(settings, "putuo")
    clock.current = at(8)
    path = "/v1/centres/dinghai/appointment-slots"

    def body(starts: datetime, ends: datetime, **fields: Any) -> dict[str, Any]:
        return {
            "item_code": "HJ",
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "capacity": 5,
        } | fields

    async def refused(payload: dict[str, Any]) -> tuple[int, list[str]]:
        reply = await app_client.post(path, json=payload, headers=clerk(settings))
        return reply.status_code, [e["location"] for e in reply.json().get("errors", [])]

    assert await refused(body(at(10), at(9, 45))) == (422, ["body.ends_at"])
    assert await refused(body(at(23, 30), at(0, 30, day=24))) == (422, ["body.ends_at"])
    assert await refused(body(at(7), at(7, 30))) == (422, ["body.starts_at"])
    assert await refused(body(at(9), at(9, 30), capacity=0)) == (422, ["body.capacity"])
    assert await refused(body(at(9), at(9, 30), capacity=501)) == (422, ["body.capacity"])
    assert await refused(body(at(9), at(9, 30), item_code="NOPE")) == (422, ["body.item_code"])
    naive = body(at(9), at(9, 30)) | {"starts_at": "2026-11-23T09:00:00"}
    assert await refused(naive) == (422, ["body.starts_at"])

    ok = body(at(9), at(9, 30))
    other_centre = await app_client.post(
        path, json=ok, headers=clerk(settings, centre="putuo") | key()
    )
    assert other_centre.status_code == 403
    citizen_try = await app_client.post(path, json=ok, headers=citizen(settings, "c1"))
    assert citizen_try.status_code == 403
    unknown = await app_client.post(
        "/v1/centres/nowhere/appointment-slots", json=ok, headers=bearer(settings, "admin")
    )
    assert unknown.status_code == 404

    headers = clerk(settings) | key()
    first = await app_client.post(path, json=ok, headers=headers)
    again = await app_client.post(path, json=ok, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["starts_at"] == "2026-11-23T01:00:00Z"


async def test_a_slot_with_bookings_cannot_be_withdrawn(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    clock.current = at(8)
    slot = await open_slot(app_client, settings, at(9))
    appointment = await booked(app_client, slot, settings, "c1")
    path = f"/v1/centres/dinghai/appointment-slots/{slot['id']}"
    held = await app_client.delete(path, headers=clerk(settings))
    assert held.status_code == 409
    assert (held.json()["type"], held.json()["bookings"]) == (
        "urn:cw:problem:slot-has-bookings",
        1,
    )
    await app_client.post(
        f"/v1/appointments/{appointment['id']}/cancel", headers=citizen(settings, "c1")
    )
    assert (await app_client.delete(path, headers=clerk(settings))).status_code == 204
    assert await slot_now(app_client, settings, slot) is None
    assert (await book(app_client, slot, citizen(settings, "c2"))).status_code == 404
    assert (await app_client.delete(path, headers=clerk(settings))).status_code == 404


# ---------------------------------------------------------------- booking


async def test_bookings_fill_a_slot_to_its_capacity_and_no_further(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    clock.current = at(8)
    slot = await open_slot(app_client, settings, at(9), capacity=2)
    first = await booked(app_client, slot, settings, "c1")
    assert (first["holder_sub"], first["booked_by"], first["station_id"]) == ("c1", "c1", None)
    assert (first["state"], first["ticket_id"]) == ("booked", None)
    assert (first["check_in_opens_at"], first["on_time_until"]) == (
        "2026-11-23T00:30:00Z",
        "2026-11-23T01:15:00Z",
    )
    twice = await book(app_client, slot, citizen(settings, "c1"))
    assert twice.status_code == 409
    assert (twice.json()["type"], twice.json()["appointment_id"]) == (
        "urn:cw:problem:already-booked",
        first["id"],
    )
    await booked(app_client, slot, settings, "c2")
    full = await book(app_client, slot, citizen(settings, "c3"))
    assert full.status_code == 409
    assert full.json()["type"] == "urn:cw:problem:slot-full"
    assert (await slot_now(app_client, settings, slot) or {})["remaining"] == 0

    events = await recorded(settings, "appointment.booked")
    assert [e["data"]["holder_sub"] for e in events] == ["c1", "c2"]
    assert (events[0]["source"], events[0]["subject"]) == ("queue-api", first["id"])


async def test_twenty_residents_booking_five_seats_at_once_get_exactly_five(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    clock.current = at(8)
    slot = await open_slot(app_client, settings, at(9), capacity=5)
    replies = await asyncio.gather(
        *(book(app_client, slot, citizen(settings, f"c{n}")) for n in range(20))
    )
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [201] * 5 + [409] * 15
    assert {r.json()["type"] for r in replies if r.status_code == 409} == {
        "urn:cw:problem:slot-full"
    }
    now = await slot_now(app_client, settings, slot) or {}
    assert (now["booked"], now["remaining"]) == (5, 0)
    listed = await app_client.get("/v1/appointments", headers=bearer(settings, "admin"))
    assert len(listed.json()["items"]) == 5


async def test_a_booking_needs_a_key_and_a_slot_that_has_not_begun(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    clock.current = at(8)
    slot = await open_slot(app_client, settings, at(9))
    no_key = await app_client.post(
        "/v1/appointments", json={"slot_id": slot["id"]}, headers=citizen(settings, "c1")
    )
    assert no_key.status_code == 400
    headers = citizen(settings, "c1") | key()
    first = await app_client.post("/v1/appointments", json={"slot_id": slot["id"]}, headers=headers)
    retry = await app_client.post("/v1/appointments", json={"slot_id": slot["id"]}, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"

    clock.current = at(9)
    begun = await book(app_client, slot, citizen(settings, "c2"))
    assert begun.status_code == 409
    assert begun.json()["type"] == "urn:cw:problem:slot-started"
    missing = await app_client.post(
        "/v1/appointments", json={"slot_id": "nope"}, headers=citizen(settings, "c2") | key()
    )
    assert missing.status_code == 404


async def test_an_agent_books_for_a_resident_of_her_centre_only(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    await add_centre(settings, "putuo")
    clock.current = at(8)
    here = await open_slot(app_client, settings, at(9))
    there = await open_slot(app_client, settings, at(9), centre="putuo")

    made = await book(app_client, here, agent(settings), holder="resident-1")
    assert made.status_code == 201
    assert (made.json()["holder_sub"], made.json()["booked_by"], made.json()["station_id"]) == (
        "resident-1",
        "agent-1",
        "huaniao",
    )
    elsewhere = await book(app_client, there, agent(settings), holder="resident-1")
    assert elsewhere.status_code == 403
    nameless = await book(app_client, here, agent(settings))
    assert nameless.status_code == 422
    assert [e["location"] for e in nameless.json()["errors"]] == ["body.holder_sub"]
    for_someone_else = await book(app_client, here, citizen(settings, "c1"), holder="c2")
    assert for_someone_else.status_code == 403
    assert (await book(app_client, here, clerk(settings), holder="c2")).status_code == 403
    integrator = bearer(settings, "integrator", sub="zlb-1")
    assert (await book(app_client, here, integrator, holder="c3")).status_code == 201


async def test_each_caller_sees_the_appointments_that_are_hers_to_follow(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    await add_centre(settings, "putuo")
    clock.current = at(8)
    slot = await open_slot(app_client, settings, at(9))
    own = await booked(app_client, slot, settings, "c1")
    by_agent = (await book(app_client, slot, agent(settings), holder="resident-1")).json()

    async def ids(headers: dict[str, str]) -> list[str]:
        listed = await app_client.get("/v1/appointments", headers=headers)
        assert listed.status_code == 200
        return [a["id"] for a in listed.json()["items"]]

    assert await ids(citizen(settings, "c1")) == [own["id"]]
    assert await ids(citizen(settings, "resident-1")) == [by_agent["id"]]
    assert await ids(agent(settings)) == [by_agent["id"]]
    assert await ids(clerk(settings)) == [own["id"], by_agent["id"]]
    assert await ids(clerk(settings, centre="putuo")) == []
    assert await ids(bearer(settings, "admin")) == [own["id"], by_agent["id"]]

    path = f"/v1/appointments/{own['id']}"
    assert (await app_client.get(path, headers=citizen(settings, "c1"))).status_code == 200
    assert (await app_client.get(path, headers=citizen(settings, "c2"))).status_code == 404
    assert (await app_client.get(path, headers=agent(settings))).status_code == 404
    assert (await app_client.get(path, headers=clerk(settings, centre="putuo"))).status_code == 404


async def test_cancelling_frees_the_seat_and_the_holder_may_book_again(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    clock.current = at(8)
    slot = await open_slot(app_client, settings, at(9), capacity=1)
    first = await booked(app_client, slot, settings, "c1")
    assert (await book(app_client, slot, citizen(settings, "c2"))).status_code == 409

    cancel = f"/v1/appointments/{first['id']}/cancel"
    assert (await app_client.post(cancel, headers=clerk(settings))).status_code == 403
    assert (await app_client.post(cancel, headers=citizen(settings, "c2"))).status_code == 404
    cancelled = await app_client.post(cancel, headers=citizen(settings, "c1"))
    assert cancelled.json()["state"] == "cancelled"
    assert (await slot_now(app_client, settings, slot) or {})["booked"] == 0
    again = await app_client.post(cancel, headers=citizen(settings, "c1"))
    assert again.status_code == 409
    assert (again.json()["type"], again.json()["state"]) == (
        "urn:cw:problem:appointment-not-booked",
        "cancelled",
    )

    second = await booked(app_client, slot, settings, "c2")
    assert (await book(app_client, slot, citizen(settings, "c1"))).status_code == 409
    await app_client.post(
        f"/v1/appointments/{second['id']}/cancel", headers=citizen(settings, "c2")
    )
    rebooked = await booked(app_client, slot, settings, "c1")
    assert (rebooked["id"], rebooked["state"]) == (first["id"], "booked")
    assert (await slot_now(app_client, settings, slot) or {})["booked"] == 1
    assert len(await recorded(settings, "appointment.cancelled")) == 2


# ---------------------------------------------------------------- check-in


async def test_an_appointment_checked_in_on_time_is_called_by_its_booked_time(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    """A booked for 09:45 arrives at 09:55, B booked for 10:00 arrives earlier, at 09:52; a
    walk-in took a number at 09:50. With the default rule (priority, appointment, walk-in) the
    counter calls A, then moves on to the walk-in, then comes back to B."""
    await seed(settings.database_url, counters=1)
    clock.current = at(8)
    a = await booked(app_client, await open_slot(app_client, settings, at(9, 45)), settings, "a")
    b = await booked(app_client, await open_slot(app_client, settings, at(10)), settings, "b")

    clock.current = at(9, 50)
    walk_in = await app_client.post(
        "/v1/tickets",
        json={"centre_id": "dinghai", "item_code": "HJ"},
        headers=citizen(settings, "walker") | key(),
    )
    assert (walk_in.json()["number"], walk_in.json()["queue_class"]) == ("A001", "walk_in")
    clock.current = at(9, 52)
    b_in = (await check_in(app_client, b, citizen(settings, "b"))).json()
    clock.current = at(9, 55)
    a_reply = await check_in(app_client, a, citizen(settings, "a"))
    assert a_reply.status_code == 201
    a_in = a_reply.json()
    assert (a_in["appointment"]["state"], a_in["appointment"]["ticket_id"]) == (
        "checked_in",
        a_in["ticket"]["id"],
    )
    assert datetime.fromisoformat(a_in["appointment"]["checked_in_at"]) == at(9, 55)
    ticket = a_in["ticket"]
    assert (ticket["number"], ticket["queue_class"], ticket["position"]) == (
        "A003",
        "appointment",
        1,
    )
    assert (ticket["channel"], ticket["holder_sub"], ticket["remote"]) == ("app", "a", True)

    clerk_1 = clerk(settings)
    called = []
    for _ in range(3):
        reply = await app_client.post("/v1/counters/w1/call-next", headers=clerk_1)
        called.append(reply.json()["id"])
    assert called == [ticket["id"], walk_in.json()["id"], b_in["ticket"]["id"]]

    issued = await recorded(settings, "ticket.issued")
    assert [e["data"].get("appointment_id") for e in issued] == [None, b["id"], a["id"]]
    checked = await recorded(settings, "appointment.checked_in")
    assert [(e["data"]["ticket_id"], e["data"]["queue_class"]) for e in checked][-1] == (
        ticket["id"],
        "appointment",
    )


async def test_a_late_arrival_joins_the_walk_in_line_at_her_check_in_time(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url, counters=1)
    clock.current = at(8)
    late = await booked(app_client, await open_slot(app_client, settings, at(9)), settings, "late")
    clock.current = at(9, 10)
    walk_in = await app_client.post(
        "/v1/tickets",
        json={"centre_id": "dinghai", "item_code": "HJ"},
        headers=citizen(settings, "walker") | key(),
    )
    clock.current = at(9, 16)  # a minute past the on-time limit
    reply = await check_in(app_client, late, citizen(settings, "late"))
    assert reply.status_code == 201
    ticket = reply.json()["ticket"]
    assert (ticket["queue_class"], ticket["position"]) == ("walk_in", 2)
    assert datetime.fromisoformat(ticket["issued_at"]) == at(9, 16)
    clerk_1 = clerk(settings)
    first = await app_client.post("/v1/counters/w1/call-next", headers=clerk_1)
    second = await app_client.post("/v1/counters/w1/call-next", headers=clerk_1)
    assert [first.json()["id"], second.json()["id"]] == [walk_in.json()["id"], ticket["id"]]

    next_day = await booked(
        app_client, await open_slot(app_client, settings, at(20)), settings, "sleepy"
    )
    clock.current = at(0, 30, day=24)
    over = await check_in(app_client, next_day, citizen(settings, "sleepy"))
    assert over.status_code == 409
    assert over.json()["type"] == "urn:cw:problem:check-in-closed"


async def test_check_in_opens_thirty_minutes_before_and_happens_once(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    clock.current = at(8)
    appointment = await booked(
        app_client, await open_slot(app_client, settings, at(10)), settings, "c1"
    )
    clock.current = at(9, 29)
    early = await check_in(app_client, appointment, citizen(settings, "c1"))
    assert early.status_code == 409
    assert (early.json()["type"], early.json()["check_in_opens_at"]) == (
        "urn:cw:problem:check-in-too-early",
        "2026-11-23T01:30:00+00:00",
    )
    assert "09:30" in early.json()["detail"]

    assert (await check_in(app_client, appointment, citizen(settings, "c2"))).status_code == 404
    clock.current = at(9, 30)
    done = await check_in(app_client, appointment, citizen(settings, "c1"))
    assert done.status_code == 201
    twice = await check_in(app_client, appointment, clerk(settings))
    assert twice.status_code == 409
    assert (twice.json()["type"], twice.json()["ticket_id"]) == (
        "urn:cw:problem:already-checked-in",
        done.json()["ticket"]["id"],
    )
    cancel = await app_client.post(
        f"/v1/appointments/{appointment['id']}/cancel", headers=citizen(settings, "c1")
    )
    assert cancel.status_code == 409
    slot = appointment | {"id": appointment["slot_id"]}
    assert (await slot_now(app_client, settings, slot) or {})["booked"] == 1  # the seat is used


async def test_the_station_or_the_counter_checks_in_for_the_resident(
    app_client: httpx.AsyncClient, settings: QueueSettings, clock: SimulatedClock
) -> None:
    await seed(settings.database_url)
    clock.current = at(8)
    slot = await open_slot(app_client, settings, at(9))
    in_person = await open_slot(app_client, settings, at(9), item="ZJ")
    by_agent = (await book(app_client, slot, agent(settings), holder="resident-1")).json()
    card = await booked(app_client, in_person, settings, "resident-2")

    clock.current = at(8, 45)
    other_station = bearer(settings, "agent", sub="agent-2", station="elsewhere")
    assert (await check_in(app_client, by_agent, other_station)).status_code == 404
    expert = bearer(settings, "expert", centre="dinghai")
    assert (await check_in(app_client, by_agent, expert)).status_code == 403
    at_station = await check_in(app_client, by_agent, agent(settings))
    assert at_station.status_code == 201
    ticket = at_station.json()["ticket"]
    assert (ticket["channel"], ticket["station_id"], ticket["agent_sub"]) == (
        "station",
        "huaniao",
        "agent-1",
    )
    assert ticket["holder_sub"] == "resident-1"

    from_app = await check_in(app_client, card, citizen(settings, "resident-2"))
    assert from_app.status_code == 409
    assert from_app.json()["type"] == "urn:cw:problem:not-served-remotely"
    at_counter = await check_in(app_client, card, clerk(settings))
    assert at_counter.status_code == 201
    counter_ticket = at_counter.json()["ticket"]
    assert (counter_ticket["channel"], counter_ticket["remote"], counter_ticket["number"]) == (
        "counter",
        False,
        "B001",
    )
    followed = await app_client.get(
        f"/v1/tickets/{counter_ticket['id']}", headers=citizen(settings, "resident-2")
    )
    assert followed.status_code == 200
