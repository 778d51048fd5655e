"""A pending message a poll took but the VEN never got, because the answer reached the gateway only after it
had answered the VEN 503, or because the VEN had closed its connection by then: the message goes back in
the VEN's queue (gateway.late_replies, registration_svc.polls), unless a later message has gone out since."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Iterator

import asyncpg
import httpx
import pytest

from devstack.processes import ManagedProcess
from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import PendingUndelivered
from tests.conftest import REPO_ROOT
from tests.integration.raw_ven import RawVen
from tests.integration.test_operations import metric_sample
from tests.stack import ADMIN_PORT, HTTP_PORT, RunningVtn
from tests.waiting import until_async

pytestmark = pytest.mark.integration

IMPATIENT_PORT = HTTP_PORT + 30
IMPATIENT_ADMIN_PORT = ADMIN_PORT + 30


@pytest.fixture(scope="module")
def impatient_gateway(
    vtn: RunningVtn, vtn_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A second gateway that gives up on every service answer at once: each poll it forwards is answered 503
    and the service's answer arrives after that."""
    env = {
        **vtn_env,
        "VTN_HTTP_PORT": str(IMPATIENT_PORT),
        "VTN_ADMIN_PORT": str(IMPATIENT_ADMIN_PORT),
        "VTN_INSTANCE_ID": "impatient-gateway",
        "VTN_REPLY_TIMEOUT_SECONDS": "0.001",
    }
    log_path = tmp_path_factory.mktemp("logs") / "impatient-gateway.log"
    process = ManagedProcess(
        "impatient-gateway", [sys.executable, "-m", "gateway"], env, log_path, cwd=REPO_ROOT, new_session=True
    )
    process.start()
    try:
        process.wait_for_port("127.0.0.1", IMPATIENT_PORT, timeout=60)
        yield f"http://127.0.0.1:{IMPATIENT_PORT}/OpenADR2/Simple/2.0b"
    finally:
        process.stop(timeout=20)


@pytest.fixture
async def impatient_http(impatient_gateway: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=impatient_gateway, timeout=15) as client:
        yield client


async def impatient_reports() -> float:
    async with httpx.AsyncClient(timeout=5) as client:
        metrics = (await client.get(f"http://127.0.0.1:{IMPATIENT_ADMIN_PORT}/metrics")).text
    return metric_sample(metrics, "vtn_undelivered_pending_total", outcome="reported")


async def publish(bootstrap: str, *envelopes: Envelope) -> None:
    producer = clients.producer(KafkaConnection(bootstrap))
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(topics.POLL_REQUESTS, envelope.to_bytes(), key=envelope.kafka_key())
    finally:
        await producer.stop()


async def handled(db: asyncpg.Connection, envelope: Envelope) -> bool:
    """registration_svc has handled the envelope (its inbox holds the message id)."""
    return bool(await db.fetchval("SELECT count(*) FROM inbox WHERE message_id = $1", envelope.message_id))


def undelivered(ven_id: str, pending_id: int) -> Envelope:
    return Envelope(ven_id=ven_id, payload=PendingUndelivered(ven_id=ven_id, pending_id=pending_id))


async def test_a_message_taken_by_a_poll_answered_503_comes_on_the_next_poll(
    http: httpx.AsyncClient,
    impatient_http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
) -> None:
    ven = await RawVen(http, unique("late-answer")).register()
    assert (await ven.poll()).message_type == "oadrResponse"
    assert (await admin.post(f"/vens/{ven.ven_id}/request-reregistration")).status_code == 202
    reported_before = await impatient_reports()
    impatient = RawVen(impatient_http, ven.ven_name)
    # The impatient gateway's first request may time out before it even reaches Kafka (topic metadata);
    # every later one reaches registration_svc, which takes the message, and is answered 503.
    for _ in range(20):
        answer = await impatient.poll(ven_id=ven.ven_id)
        assert answer.http_status == 503 and answer.response_code == 503, answer
        if await impatient_reports() > reported_before:
            break
        await asyncio.sleep(0.3)
    assert await impatient_reports() > reported_before, "no poll answer came late to the impatient gateway"

    async def delivered() -> bool:
        return (await ven.poll()).message_type == "oadrRequestReregistration"

    await until_async(delivered, 15, "the put-back message on a poll through the patient gateway")
    assert (await ven.poll()).message_type == "oadrResponse"
    assert await db.fetchval("SELECT delivered_at FROM pending_messages WHERE ven_id = $1", ven.ven_id) is not None


async def test_a_message_taken_for_a_ven_that_hung_up_comes_on_its_next_poll(
    vtn: RunningVtn, http: httpx.AsyncClient, admin: httpx.AsyncClient, unique: Callable[[str], str]
) -> None:
    ven = await RawVen(http, unique("hung-up")).register()  # no poll yet, so no cached answer for it
    assert (await admin.post(f"/vens/{ven.ven_id}/request-reregistration")).status_code == 202
    registration = vtn.processes["registration_svc"]
    registration.pause()  # the poll waits in Kafka longer than the VEN waits for its answer
    try:
        async with httpx.AsyncClient(base_url=vtn.url, timeout=0.5) as impatient_ven:
            with pytest.raises(httpx.ReadTimeout):
                await RawVen(impatient_ven, ven.ven_name).poll(ven_id=ven.ven_id)
        await asyncio.sleep(0.5)
    finally:
        registration.resume()  # well within the gateway's reply timeout: the poll is taken, then answered

    async def delivered() -> bool:
        return (await ven.poll()).message_type == "oadrRequestReregistration"

    await until_async(delivered, 15, "the message the hung-up poll took, on the next poll")
    async with httpx.AsyncClient(timeout=5) as client:
        metrics = (await client.get(f"{vtn.admin_url}/metrics")).text
    assert metric_sample(metrics, "vtn_undelivered_pending_total", outcome="reported") >= 1


async def test_only_the_last_message_taken_is_put_back_and_once_per_report(
    vtn: RunningVtn,
    http: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    db: asyncpg.Connection,
    unique: Callable[[str], str],
) -> None:
    ven = await RawVen(http, unique("put-back")).register()
    assert ven.ven_id is not None
    assert (await ven.poll()).message_type == "oadrResponse"
    for _ in range(2):
        assert (await admin.post(f"/vens/{ven.ven_id}/request-reregistration")).status_code == 202

    async def both_taken() -> bool:
        await ven.poll()
        return not await db.fetchval(
            "SELECT count(*) FROM pending_messages WHERE ven_id = $1 AND delivered_at IS NULL", ven.ven_id
        )

    await until_async(both_taken, 15, "both messages taken")
    first, second = [
        row["id"] for row in await db.fetch("SELECT id FROM pending_messages WHERE ven_id = $1 ORDER BY id", ven.ven_id)
    ]
    # The first went out before the second: putting it back would reorder the VEN's messages.
    overtaken, returned = undelivered(ven.ven_id, first), undelivered(ven.ven_id, second)
    await publish(vtn.kafka_bootstrap, overtaken, returned)
    await until_async(lambda: handled(db, returned), 15, "the reports handled")
    states = await db.fetch(
        "SELECT id, delivered_at IS NULL AS waiting FROM pending_messages WHERE ven_id = $1 ORDER BY id", ven.ven_id
    )
    assert [(row["id"], row["waiting"]) for row in states] == [(first, False), (second, True)]

    async def delivered_again() -> bool:
        return (await ven.poll()).message_type == "oadrRequestReregistration"

    await until_async(delivered_again, 15, "the put-back message delivered")
    assert (await ven.poll()).message_type == "oadrResponse"
    # The same report again (a redelivery by Kafka) changes nothing: the message stays delivered.
    marker = undelivered(ven.ven_id, first)
    await publish(vtn.kafka_bootstrap, returned, marker)
    await until_async(lambda: handled(db, marker), 15, "the repeated report handled")
    assert not await db.fetchval(
        "SELECT count(*) FROM pending_messages WHERE ven_id = $1 AND delivered_at IS NULL", ven.ven_id
    )
    assert (await ven.poll()).message_type == "oadrResponse"
