"""A producer whose idempotent sequence the broker refuses (e.g. after a broker restart) can send nothing more:
BusProducer replaces it, the failed send raises BusUnavailable (the caller retries), and the next send works."""

from __future__ import annotations

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber

from shared.bus.connection import KafkaConnection
from shared.bus.errors import BusUnavailable
from shared.bus.producer import BusProducer
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenChanged


class FakeProducer:
    def __init__(self, broken: bool) -> None:
        self.broken = broken
        self.sent: list[str] = []
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def send_and_wait(self, topic: str, **record: object) -> None:
        if self.broken:
            raise OutOfOrderSequenceNumber()
        self.sent.append(topic)


async def test_a_broken_producer_is_replaced_and_the_send_retried_by_the_caller() -> None:
    made = [FakeProducer(broken=True), FakeProducer(broken=False)]
    producer = BusProducer(KafkaConnection("127.0.0.1:1"), "test")
    await producer._producer.stop()  # noqa: SLF001 - the real one was never started
    producer._new_producer = lambda: made.pop(0)  # type: ignore[method-assign]  # noqa: SLF001
    producer._producer = producer._new_producer()  # noqa: SLF001
    first = producer._producer  # noqa: SLF001
    envelope = Envelope(ven_id="v", payload=VenChanged(ven_id="v", reason="test"))
    with pytest.raises(BusUnavailable):
        await producer.publish("oadr.ven.changes.v1", envelope)
    assert producer.renewals == 1 and first.stopped
    await producer.publish("oadr.ven.changes.v1", envelope)
    assert producer._producer.sent == ["oadr.ven.changes.v1"]  # noqa: SLF001
