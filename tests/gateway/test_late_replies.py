"""The gateway reports the pending message a late poll answer carried, so registration_svc puts it back."""

from __future__ import annotations

import asyncio

from gateway.late_replies import UndeliveredReporter
from shared import topics
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import PendingUndelivered, VenReply, VenRequest
from shared.metrics import UNDELIVERED_PENDING
from shared.oadr.answers import nothing_pending
from shared.oadr.registration import Poll
from tests.fakes import FakePublisher


def late_reply(pending_id: int | None) -> Envelope:
    request = Envelope(ven_id="ven1", payload=VenRequest(message=Poll(ven_id="ven1")))
    return request.reply(VenReply(message=nothing_pending("ven1"), pending_id=pending_id))


def count(outcome: str) -> float:
    return UNDELIVERED_PENDING.labels(outcome)._value.get()  # noqa: SLF001 - the counter's current value


async def settle(reporter: UndeliveredReporter) -> None:
    await reporter.stop(timeout=5)


async def test_a_late_answer_with_a_pending_message_is_reported_on_the_vens_key() -> None:
    publisher = FakePublisher()
    reporter = UndeliveredReporter(publisher)
    reported = count("reported")
    reporter(late_reply(pending_id=7))
    await settle(reporter)
    [(topic, fact)] = publisher.published
    assert topic == topics.POLL_REQUESTS and fact.ven_id == "ven1" and fact.kafka_key() == b"ven1"
    assert fact.payload == PendingUndelivered(ven_id="ven1", pending_id=7)
    assert count("reported") == reported + 1


async def test_a_late_answer_without_a_pending_message_needs_nothing() -> None:
    publisher = FakePublisher()
    reporter = UndeliveredReporter(publisher)
    reporter(late_reply(pending_id=None))
    await settle(reporter)
    assert publisher.published == []


class CountingPublisher(FakePublisher):
    def __init__(self, failing: bool) -> None:
        super().__init__(failing)
        self.attempts: list[str] = []

    async def publish(self, topic: str, envelope: Envelope, partition: int | None = None) -> None:
        self.attempts.append(envelope.message_id)
        await super().publish(topic, envelope, partition)


async def test_the_report_is_retried_with_the_same_message_id_while_kafka_refuses_it() -> None:
    publisher = CountingPublisher(failing=True)
    reporter = UndeliveredReporter(publisher, retry_delays=(0.05, 0.05, 0.05))
    reporter(late_reply(pending_id=7))
    await asyncio.sleep(0.07)
    publisher.failing = False
    await settle(reporter)
    [(_, fact)] = publisher.published
    assert len(publisher.attempts) >= 2 and set(publisher.attempts) == {fact.message_id}


async def test_a_report_kafka_never_takes_is_counted_unreported() -> None:
    publisher = FakePublisher(failing=True)
    reporter = UndeliveredReporter(publisher, retry_delays=(0.01, 0.01))
    unreported = count("unreported")
    reporter(late_reply(pending_id=7))
    await settle(reporter)
    assert publisher.published == [] and count("unreported") == unreported + 1
