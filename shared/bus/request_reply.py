"""Request-reply over Kafka for the gateway.

Each gateway instance reads one partition of the reply topic, assigned by hand (no consumer group), and
puts that address in every request. Instances that happen to share a partition both read it and each
keeps only the replies whose correlation id it is waiting for. A future is registered before the request
is produced and always removed afterwards, so a late reply is simply dropped.
"""

from __future__ import annotations

import asyncio
import logging
import zlib

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.bus.errors import ReplyTimeout
from shared.bus.producer import BusProducer
from shared.contract.envelope import Envelope, ReplyAddress

log = logging.getLogger(__name__)


def reply_partition_for(instance_id: str, partition_count: int) -> int:
    return zlib.crc32(instance_id.encode()) % partition_count


class RequestReplyClient:
    def __init__(self, producer: BusProducer, bootstrap_servers: str, reply_address: ReplyAddress) -> None:
        self._producer = producer
        self._reply_address = reply_address
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="latest",
        )
        self._waiting: dict[str, asyncio.Future[Envelope]] = {}
        self._reader: asyncio.Task[None] | None = None

    @property
    def reply_address(self) -> ReplyAddress:
        return self._reply_address

    def check_running(self) -> None:
        """Readiness: raise unless the reply reader runs."""
        if self._reader is None or self._reader.done():
            raise RuntimeError("the reply reader is not running")

    async def start(self) -> None:
        await self._consumer.start()
        partition = TopicPartition(self._reply_address.topic, self._reply_address.partition)
        self._consumer.assign([partition])
        await self._consumer.seek_to_end(partition)
        await self._consumer.position(partition)
        self._reader = asyncio.create_task(self._read_replies(), name="reply-reader")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except asyncio.CancelledError:
                pass
        await self._consumer.stop()
        for future in self._waiting.values():
            if not future.done():
                future.cancel()

    async def request(self, topic: str, envelope: Envelope, timeout: float) -> Envelope:
        """Publish `envelope` to `topic` and wait for the reply with the same correlation id."""
        addressed = envelope.model_copy(update={"reply_to": self._reply_address})
        future: asyncio.Future[Envelope] = asyncio.get_running_loop().create_future()
        self._waiting[addressed.correlation_id] = future
        try:
            async with asyncio.timeout(timeout):
                await self._producer.publish(topic, addressed)
                return await future
        except TimeoutError:
            raise ReplyTimeout(f"no reply from {topic} within {timeout:.1f}s") from None
        finally:
            self._waiting.pop(addressed.correlation_id, None)

    async def _read_replies(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=1000, max_records=500)
            for records in batches.values():
                for record in records:
                    self._deliver(record.headers, record.value)

    def _deliver(self, headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes | None) -> None:
        correlation_id = next((v.decode() for k, v in headers if k == "correlation_id"), None)
        future = self._waiting.get(correlation_id) if correlation_id else None
        if future is None or future.done() or value is None:
            return
        try:
            future.set_result(Envelope.from_bytes(value))
        except ValueError as exc:
            log.error("undecodable reply", extra={"action": "reply_undecodable", "error": str(exc)})
