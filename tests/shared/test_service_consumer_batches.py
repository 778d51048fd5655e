"""A consumer with a batch handler: the records it accepts go to it together and their replies are sent
together; the others go to the per-record handler; each VEN's records are handled in the order produced;
a batch failing for other than a transient reason is handled again record by record."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.bus.connection import KafkaConnection
from shared.bus.service_consumer import ServiceConsumer
from shared.contract.envelope import Envelope, ReplyAddress
from shared.contract.ven_traffic import ContractModel, VenReply, VenRequest
from shared.oadr import answers
from shared.oadr.common import EiResponse, ResponseCode
from shared.oadr.messages import VenMessage
from shared.oadr.report import CreatedReport, UpdateReport

REPLIES = ReplyAddress(topic="oadr.gateway.replies.v1", partition=3)
TP = TopicPartition("oadr.report.requests.v1", 0)


class _Producer:
    def __init__(self) -> None:
        self.published: list[tuple[str, Envelope, int | None]] = []

    async def publish(self, topic: str, envelope: Envelope, partition: int | None = None) -> None:
        self.published.append((topic, envelope, partition))

    async def publish_many(self, envelopes: Sequence[tuple[str, Envelope, int | None]]) -> None:
        self.published.extend(envelopes)

    async def publish_raw(self, *args: object) -> None:
        raise AssertionError("nothing should be dead-lettered here")


def _reply(envelope: Envelope, text: str) -> VenReply:
    return VenReply(message=answers.response(ResponseCode.OK, text, envelope.ven_id))


class _Updates:
    """Takes oadrUpdateReports; `fail_with` makes the next batch raise."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.batches: list[int] = []
        self.fail_with: BaseException | None = None

    def accepts(self, envelope: Envelope) -> bool:
        return isinstance(envelope.payload, VenRequest) and isinstance(envelope.payload.message, UpdateReport)

    async def handle_batch(self, envelopes: Sequence[Envelope]) -> list[ContractModel | None]:
        if self.fail_with is not None:
            failure, self.fail_with = self.fail_with, None
            raise failure
        self.batches.append(len(envelopes))
        self.log.extend(f"batch:{_label(e)}" for e in envelopes)
        return [_reply(e, f"batched {_label(e)}") for e in envelopes]


def _label(envelope: Envelope) -> str:
    assert isinstance(envelope.payload, VenRequest)
    return envelope.payload.message.request_id if isinstance(envelope.payload.message, UpdateReport) else "created"


def _consumer(log: list[str], updates: _Updates, producer: _Producer) -> ServiceConsumer:
    async def one(envelope: Envelope) -> ContractModel:
        log.append(f"one:{envelope.ven_id}:{_label(envelope)}")
        return _reply(envelope, "one by one")

    return ServiceConsumer(
        kafka=KafkaConnection("127.0.0.1:1"), group_id="test", topic_names=["t"], handler=one,
        producer=producer, client_id="test", batch_handler=updates,  # type: ignore[arg-type]
    )  # fmt: skip


def _update(ven_id: str, request_id: str) -> VenMessage:
    return UpdateReport(request_id=request_id, ven_id=ven_id)


def _created(ven_id: str) -> VenMessage:
    return CreatedReport(
        response=EiResponse(response_code=200, response_description="OK", request_id="r"), ven_id=ven_id
    )


def _records(messages: list[VenMessage]) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
    records = []
    for offset, message in enumerate(messages):
        ven_id = message.ven_id
        envelope = Envelope(ven_id=ven_id, payload=VenRequest(message=message), reply_to=REPLIES)
        value = envelope.to_bytes()
        records.append(
            ConsumerRecord(
                TP.topic, TP.partition, offset, 0, 0, ven_id.encode(), value, None, len(ven_id), len(value), []
            )
        )
    return {TP: records}


async def _run(messages: list[VenMessage], updates: _Updates | None = None) -> tuple[list[str], _Updates, _Producer]:
    log: list[str] = []
    updates = updates or _Updates(log)
    updates.log = log
    producer = _Producer()
    consumer = _consumer(log, updates, producer)
    try:
        await consumer._handle_fetched(_records(messages))  # noqa: SLF001
    finally:
        await consumer.close()
    return log, updates, producer


async def test_accepted_records_are_handled_in_one_batch_and_every_request_gets_its_reply() -> None:
    log, updates, producer = await _run([_update("a", "u1"), _update("b", "u2"), _update("c", "u3")])
    assert updates.batches == [3]
    assert log == ["batch:u1", "batch:u2", "batch:u3"]
    assert [(topic, partition) for topic, _, partition in producer.published] == [
        (REPLIES.topic, REPLIES.partition)
    ] * 3
    assert [e.ven_id for _, e, _ in producer.published] == ["a", "b", "c"]


async def test_each_vens_records_keep_their_order_across_the_two_paths() -> None:
    log, updates, _ = await _run([_update("a", "u1"), _created("a"), _update("b", "u2"), _update("a", "u3")])
    assert log.index("batch:u1") < log.index("one:a:created") < log.index("batch:u3")
    assert updates.batches == [1, 1, 1]  # u1 | u2 beside a's created | u3


async def test_a_batch_failing_for_another_reason_is_handled_record_by_record() -> None:
    updates = _Updates([])
    updates.fail_with = ValueError("one poison record")
    log, _, producer = await _run([_update("a", "u1"), _update("b", "u2")], updates)
    assert log == ["one:a:u1", "one:b:u2"]
    assert len(producer.published) == 2


async def test_a_transient_failure_retries_the_batch() -> None:
    updates = _Updates([])
    updates.fail_with = ConnectionResetError("database went away")
    log, updates, producer = await _run([_update("a", "u1"), _update("b", "u2")], updates)
    assert updates.batches == [2]
    assert log == ["batch:u1", "batch:u2"]
    assert len(producer.published) == 2
