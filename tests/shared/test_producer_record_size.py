"""A record bigger than Kafka takes fails the same way every time: BusProducer says so (RecordTooLarge, not
retriable), so a consumer parks the record that produced it instead of retrying it forever as if Kafka were
down, and the admin API answers 413."""

from __future__ import annotations

import httpx
import pytest
from aiokafka.errors import MessageSizeTooLargeError
from fastapi import FastAPI

from gateway.admin.service_door import ServiceDoor
from shared.bus.connection import KafkaConnection
from shared.bus.errors import RecordTooLarge
from shared.bus.producer import BusProducer
from shared.bus.service_consumer import TRANSIENT_BUS_ERRORS
from shared.contract.envelope import Envelope
from shared.contract.events import EventOutcome, GetEvent
from shared.contract.ven_traffic import VenChanged
from shared.db.transient import TRANSIENT_DATABASE_ERRORS


class OversizeProducer:
    async def stop(self) -> None:
        pass

    async def send_and_wait(self, topic: str, **record: object) -> None:
        raise MessageSizeTooLargeError()


async def test_a_record_too_large_for_kafka_is_not_taken_for_kafka_being_down() -> None:
    producer = BusProducer(KafkaConnection("127.0.0.1:1"), "test")
    await producer._producer.stop()  # noqa: SLF001 - the real one was never started
    producer._producer = OversizeProducer()  # type: ignore[assignment]  # noqa: SLF001
    with pytest.raises(RecordTooLarge) as raised:
        await producer.publish("oadr.ven.changes.v1", Envelope(ven_id="v", payload=VenChanged(ven_id="v", reason="t")))
    assert not raised.value.retriable and not isinstance(raised.value, TRANSIENT_BUS_ERRORS + TRANSIENT_DATABASE_ERRORS)


class OversizeRequester:
    async def request(self, topic: str, envelope: Envelope, timeout: float) -> Envelope:
        raise RecordTooLarge("too large")


async def test_a_command_too_large_for_the_bus_is_answered_413() -> None:
    app = FastAPI()

    @app.get("/command")
    async def command() -> None:
        door = ServiceDoor(OversizeRequester(), "topic", "event service", 1.0)  # type: ignore[arg-type]
        await door.ask(GetEvent(event_id="e"), EventOutcome, event_id="e")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        answer = await client.get("/command")
    assert answer.status_code == 413 and "too large" in answer.text
