"""OpenLEADR's own VEN (`openleadr.OpenADRClient`) against the whole VTN: gateway, Kafka, services, PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from openleadr import OpenADRClient

from shared import topics
from shared.contract.backend_events import RegistrationChange, RegistrationEvent
from shared.contract.envelope import Envelope
from tests.stack import RunningVtn, find_on_topic
from tests.waiting import until, until_async


class CountingVen:
    """An OpenADRClient whose poll answers are recorded, so tests can see what it received."""

    def __init__(self, vtn_url: str, ven_name: str) -> None:
        self.client = OpenADRClient(ven_name=ven_name, vtn_url=vtn_url)
        self.answers: list[str | None] = []
        original_poll = self.client.poll

        async def counting_poll() -> tuple[Any, Any]:
            message_type, payload = await original_poll()
            self.answers.append(message_type)
            return message_type, payload

        self.client.poll = counting_poll  # type: ignore[method-assign]

    async def polls_after(self, count: int, timeout: float = 15.0) -> list[str | None]:
        target = len(self.answers) + count
        await until(lambda: len(self.answers) >= target, timeout, f"{count} more polls")
        return self.answers[target - count : target]


@pytest.fixture
async def ven(vtn: RunningVtn, unique: Callable[[str], str]) -> AsyncIterator[CountingVen]:
    counting = CountingVen(vtn.url, unique("openleadr-ven"))
    await counting.client.run()
    try:
        await until(lambda: counting.client.registration_id is not None, 15, "registration")
        yield counting
    finally:
        await counting.client.stop()


async def retry_while_unavailable(
    call: Callable[[], Awaitable[httpx.Response]], timeout: float = 40.0
) -> httpx.Response:
    """What an operator's client does while a restarted service rejoins its consumer group: retry on 503."""
    deadline = time.monotonic() + timeout
    while True:
        answer = await call()
        if answer.status_code != 503 or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(0.5)


def registration_event(ven_id: str, change: RegistrationChange) -> Callable[[Envelope], bool]:
    def matches(envelope: Envelope) -> bool:
        payload = envelope.payload
        return isinstance(payload, RegistrationEvent) and payload.ven_id == ven_id and payload.change is change

    return matches


async def test_openleadr_ven_registers_and_polls(vtn: RunningVtn, ven: CountingVen, db: asyncpg.Connection) -> None:
    ven_id = ven.client.ven_id
    row = await db.fetchrow("SELECT ven_name, registration_id, status FROM vens WHERE ven_id = $1", ven_id)
    assert dict(row) == {
        "ven_name": ven.client.ven_name,
        "registration_id": ven.client.registration_id,
        "status": "registered",
    }
    assert await ven.polls_after(3) == ["oadrResponse"] * 3
    events = await find_on_topic(
        vtn.kafka_bootstrap, topics.REGISTRATION_EVENTS, registration_event(ven_id, RegistrationChange.CREATED)
    )
    assert len(events) == 1
    assert events[0].payload.registration_id == ven.client.registration_id  # type: ignore[union-attr]


async def test_after_restarting_registration_svc_the_ven_stays_registered_and_served(
    vtn: RunningVtn, ven: CountingVen, admin: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    ven_id, registration_id = ven.client.ven_id, ven.client.registration_id
    await ven.polls_after(1)
    vtn.restart("registration_svc", kill=True)
    assert await ven.polls_after(2, timeout=30) == ["oadrResponse"] * 2
    # A request that must travel through the restarted service: re-registration on the next poll.
    answer = await retry_while_unavailable(
        lambda: admin.post(f"/vens/{ven_id}/request-reregistration", headers={"Idempotency-Key": f"rereg-{ven_id}"})
    )
    assert answer.status_code == 202, answer.text
    await until(lambda: "oadrRequestReregistration" in ven.answers, 30, "oadrRequestReregistration on a poll")
    await find_on_topic(
        vtn.kafka_bootstrap, topics.REGISTRATION_EVENTS, registration_event(ven_id, RegistrationChange.REREGISTERED)
    )
    assert (ven.client.ven_id, ven.client.registration_id) == (ven_id, registration_id)
    assert await db.fetchval("SELECT status FROM vens WHERE ven_id = $1", ven_id) == "registered"
    assert await ven.polls_after(1) == ["oadrResponse"]


async def test_vtn_initiated_cancel_reaches_the_ven_on_its_next_poll(
    vtn: RunningVtn, ven: CountingVen, admin: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    ven_id = ven.client.ven_id
    answer = await admin.post(f"/vens/{ven_id}/cancel-registration")
    assert answer.status_code == 202, answer.text
    await until(lambda: "oadrCancelPartyRegistration" in ven.answers, 15, "oadrCancelPartyRegistration on a poll")
    await until_async(lambda: _status_is(db, ven_id, "cancelled"), 10, "the registration to be cancelled")
    await find_on_topic(
        vtn.kafka_bootstrap, topics.REGISTRATION_EVENTS, registration_event(ven_id, RegistrationChange.CANCELLED)
    )


async def _status_is(db: asyncpg.Connection, ven_id: str, status: str) -> bool:
    return await db.fetchval("SELECT status FROM vens WHERE ven_id = $1", ven_id) == status
