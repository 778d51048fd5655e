"""Publishing envelopes to Kafka with acks from all in-sync replicas and idempotent retries.

An idempotent producer whose sequence the broker no longer accepts (e.g. after the broker restarted and lost
its producer state) is broken for good: aiokafka's sender stops. The producer is then replaced by a new one
(a new producer id), and the failed send raises BusUnavailable so the caller retries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    KafkaConnectionError,
    KafkaError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    RecordTooLargeError,
    UnknownProducerId,
)

from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.bus.errors import BusError, BusUnavailable, RecordTooLarge
from shared.bus.partitioner import partition_for
from shared.contract.envelope import Envelope
from shared.metrics import KAFKA_PRODUCED

log = logging.getLogger(__name__)

# Records waiting for one partition travel in one batch of at most this size (aiokafka's default is 16 KiB).
# When a burst fills a batch while the previous request is in flight, every further send waits for it to
# drain, which under load cost the gateway a tenth of its CPU. It stays below the broker's default
# message.max.bytes (1 MiB), which a record batch must fit.
MAX_BATCH_BYTES = 512 * 1024
# How long a record waits for others to share its request: under load, fewer and fuller requests save
# CPU in every client and in the broker, for a few milliseconds of latency per hop.
LINGER_MS = 5
RawRecord = tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]  # topic, key, value, headers

# Errors after which this producer id can send nothing more
PRODUCER_BROKEN: tuple[type[KafkaError], ...] = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    ProducerFenced,
)


def _failure(what: str, exc: KafkaError) -> BusError:
    """What a failed send means to its caller: a record too big for Kafka fails the same way every time."""
    if isinstance(exc, (MessageSizeTooLargeError, RecordTooLargeError)):
        return RecordTooLarge(f"{what}: the record is too large for Kafka ({exc})")
    return BusUnavailable(f"{what}: {exc}")


def _sender_stopped(producer: AIOKafkaProducer) -> bool:
    """Whether aiokafka's background sender has ended (after which every send fails)."""
    sender = getattr(producer, "_sender", None)
    task = getattr(sender, "sender_task", None)
    return task is not None and task.done()


def kafka_producer(
    kafka: KafkaConnection, client_id: str, *, linger_ms: int = LINGER_MS, request_timeout_ms: int = 15000
) -> AIOKafkaProducer:
    """The project's aiokafka producer: acks from all in-sync replicas, idempotent, big batches, cached key
    hashes. BusProducer wraps one; the report-data relay runs one of its own."""
    return clients.producer(
        kafka,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        max_batch_size=MAX_BATCH_BYTES,
        partitioner=partition_for,
        request_timeout_ms=request_timeout_ms,
    )


class BusProducer:
    def __init__(self, kafka: KafkaConnection, client_id: str) -> None:
        self._kafka = kafka
        self._client_id = client_id
        self._producer = self._new_producer()
        self._renewing = asyncio.Lock()
        self.renewals = 0

    def _new_producer(self) -> AIOKafkaProducer:
        return kafka_producer(self._kafka, self._client_id)

    async def _send(self, topic: str, **record: Any) -> None:
        producer = self._producer
        try:
            await producer.send_and_wait(topic, **record)
        except KafkaError as exc:
            if isinstance(exc, PRODUCER_BROKEN) or _sender_stopped(producer):
                await self._renew(producer)
            raise

    async def _renew(self, broken: AIOKafkaProducer) -> None:
        async with self._renewing:
            if self._producer is not broken:
                return  # another send renewed it already
            log.warning("kafka producer broken, replacing it", extra={"action": "producer_renewed"})
            fresh = self._new_producer()
            try:
                await fresh.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await fresh.stop()
                raise
            self._producer = fresh
            self.renewals += 1
            with contextlib.suppress(Exception):
                await asyncio.wait_for(broken.stop(), timeout=5)

    async def start(self, wait_seconds: float = 60.0) -> None:
        """Connect, retrying while the broker is not reachable yet (services may start before Kafka)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while True:
            try:
                await self._producer.start()
                return
            except KafkaConnectionError:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(1)

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, topic: str, envelope: Envelope, partition: int | None = None) -> None:
        """Send and wait until the broker has it; raise BusUnavailable otherwise (RecordTooLarge for a record
        bigger than Kafka takes)."""
        try:
            await self._send(
                topic,
                value=envelope.to_bytes(),
                key=envelope.kafka_key(),
                partition=partition,
                headers=envelope.kafka_headers(),
            )
        except KafkaError as exc:
            KAFKA_PRODUCED.labels(topic, "failed").inc()
            raise _failure(f"could not publish to {topic}", exc) from exc
        KAFKA_PRODUCED.labels(topic, "ok").inc()

    async def publish_raw(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        """Send an already serialized record (the outbox relay stores records this way)."""
        try:
            await self._send(topic, value=value, key=key, headers=headers)
        except KafkaError as exc:
            KAFKA_PRODUCED.labels(topic, "failed").inc()
            raise _failure(f"could not publish to {topic}", exc) from exc
        KAFKA_PRODUCED.labels(topic, "ok").inc()

    async def publish_raw_batch(self, records: list[RawRecord]) -> None:
        """Send serialized records in order and wait for all of them: a batch costs about one broker round
        trip, not one per record (the outbox relay hands over up to 500 at a time). Raises BusUnavailable
        if any failed; the caller then sends the whole batch again (consumers are idempotent)."""
        await self._send_all(
            [(topic, {"key": key, "value": value, "headers": headers}) for topic, key, value, headers in records]
        )

    async def publish_many(self, envelopes: Sequence[tuple[str, Envelope, int | None]]) -> None:
        """publish() for many envelopes (topic, envelope, partition or None), in order, waited for together."""
        await self._send_all(
            [
                (
                    topic,
                    {"key": e.kafka_key(), "value": e.to_bytes(), "headers": e.kafka_headers(), "partition": partition},
                )
                for topic, e, partition in envelopes
            ]
        )

    async def _send_all(self, records: list[tuple[str, dict[str, Any]]]) -> None:
        if not records:
            return
        producer = self._producer
        try:
            sent = [await producer.send(topic, **record) for topic, record in records]
            await asyncio.gather(*sent)
        except KafkaError as exc:
            if isinstance(exc, PRODUCER_BROKEN) or _sender_stopped(producer):
                await self._renew(producer)
            for topic in {topic for topic, _ in records}:
                KAFKA_PRODUCED.labels(topic, "failed").inc()
            raise _failure(f"could not publish a batch of {len(records)} records", exc) from exc
        for topic, _ in records:
            KAFKA_PRODUCED.labels(topic, "ok").inc()

    async def check_connected(self) -> None:
        """Readiness: raise unless the broker answers a metadata request."""
        await self._producer.client.fetch_all_metadata()

    async def partitions_of(self, topic: str) -> set[int]:
        partitions: set[int] = await self._producer.partitions_for(topic)
        return partitions
