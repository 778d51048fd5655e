"""The operator's two doors to the same commands: the admin API and the Kafka command topic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
import httpx

from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from shared.contract.operator import CancelVenRegistration
from tests.integration.raw_ven import RawVen
from tests.stack import RunningVtn


async def test_admin_api_requires_the_bearer_token(vtn: RunningVtn) -> None:
    async with httpx.AsyncClient(base_url=f"{vtn.admin_url}/api/v1") as anonymous:
        assert (await anonymous.get("/vens")).status_code == 401
        assert (await anonymous.get("/vens", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await anonymous.post("/vens/x/cancel-registration")).status_code == 401


async def test_admin_api_lists_and_gets_vens_with_registration_and_presence(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("listed-ven")).register()
    await ven.poll()
    detail = (await admin.get(f"/vens/{ven.ven_id}")).json()
    assert detail["ven_name"] == ven.ven_name
    assert detail["registration_id"] == ven.registration_id
    assert detail["registered"] is True
    listed = (await admin.get("/vens", params={"registered": "true", "ven_name_prefix": ven.ven_name})).json()
    assert [v["ven_id"] for v in listed] == [ven.ven_id]
    assert (await admin.get("/vens", params={"registered": "false", "ven_name_prefix": ven.ven_name})).json() == []
    assert (await admin.get("/vens/no-such-ven")).status_code == 404


async def test_provisioning_a_ven_and_conflicts(admin: httpx.AsyncClient, unique: Callable[[str], str]) -> None:
    name = unique("provisioned")
    created = await admin.post("/vens", json={"ven_name": name, "fingerprint": unique("fp")})
    assert created.status_code == 201, created.text
    ven = created.json()["ven"]
    assert ven["provisioned"] is True and ven["registered"] is False
    assert (await admin.post("/vens", json={"ven_name": name})).status_code == 409
    assert (await admin.post("/vens", json={})).status_code == 422


async def test_commands_on_unknown_or_unregistered_vens_are_refused(
    admin: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    assert (await admin.post("/vens/no-such-ven/cancel-registration")).status_code == 404
    provisioned = (await admin.post("/vens", json={"ven_name": unique("idle")})).json()["ven"]
    assert (await admin.post(f"/vens/{provisioned['ven_id']}/request-reregistration")).status_code == 409


async def test_retried_admin_command_with_the_same_key_is_applied_once(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("retried")).register()
    key = {"Idempotency-Key": unique("key")}
    first = await admin.post(f"/vens/{ven.ven_id}/request-reregistration", headers=key)
    second = await admin.post(f"/vens/{ven.ven_id}/request-reregistration", headers=key)
    assert first.status_code == second.status_code == 202
    assert await db.fetchval("SELECT count(*) FROM pending_messages WHERE ven_id = $1", ven.ven_id) == 1


async def test_request_reregistration_is_delivered_on_the_next_poll_then_nothing(
    http: httpx.AsyncClient, admin: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("rereg")).register()
    assert (await ven.poll()).message_type == "oadrResponse"  # now cached as "nothing pending"
    assert (await admin.post(f"/vens/{ven.ven_id}/request-reregistration")).status_code == 202
    # The notice that drops the cached answer travels through Kafka beside the command's reply, so a poll
    # sent the instant the operator got 202 may still be answered from the cache: allow it a moment.
    deadline = time.monotonic() + 5
    delivered = await ven.poll()
    while delivered.message_type == "oadrResponse" and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        delivered = await ven.poll()
    assert delivered.message_type == "oadrRequestReregistration"
    assert delivered.payload["ven_id"] == ven.ven_id
    assert (await ven.poll()).message_type == "oadrResponse"


async def test_a_backend_cancels_a_registration_through_the_kafka_command_topic(
    vtn: RunningVtn, http: httpx.AsyncClient, db: asyncpg.Connection, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("backend-cancel")).register()
    assert ven.ven_id is not None
    assert (await ven.poll()).message_type == "oadrResponse"
    producer = clients.producer(KafkaConnection(vtn.kafka_bootstrap))
    await producer.start()
    try:
        command = Envelope(ven_id=ven.ven_id, payload=CancelVenRegistration(ven_id=ven.ven_id))
        await producer.send_and_wait(topics.REGISTRATION_COMMANDS, command.to_bytes(), key=command.kafka_key())
    finally:
        await producer.stop()
    for _ in range(100):
        answer = await ven.poll()
        if answer.message_type == "oadrCancelPartyRegistration":
            break
        await asyncio.sleep(0.1)
    assert answer.message_type == "oadrCancelPartyRegistration"
    assert answer.payload["registration_id"] == ven.registration_id
    assert await db.fetchval("SELECT status FROM vens WHERE ven_id = $1", ven.ven_id) == "cancelled"
    acknowledged = await RawVen(http, ven.ven_name).poll(ven_id=ven.ven_id)
    assert acknowledged.response_code == 463
