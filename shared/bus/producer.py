"""Publishing envelopes to Kafka with acks from all in-sync replicas and idempotent retries."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError

from shared.bus.errors import BusUnavailable
from shared.contract.envelope import Envelope
from shared.metrics import KAFKA_PRODUCED


class BusProducer:
    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=1,
            request_timeout_ms=15000,
        )

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
        """Send and wait until the broker has it; raise BusUnavailable otherwise."""
        try:
            await self._producer.send_and_wait(
                topic,
                value=envelope.to_bytes(),
                key=envelope.kafka_key(),
                partition=partition,
                headers=envelope.kafka_headers(),
            )
        except KafkaError as exc:
            KAFKA_PRODUCED.labels(topic, "failed").inc()
            raise BusUnavailable(f"could not publish to {topic}: {exc}") from exc
        KAFKA_PRODUCED.labels(topic, "ok").inc()

    async def publish_raw(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        """Send an already serialized record (the outbox relay stores records this way)."""
        try:
            await self._producer.send_and_wait(topic, value=value, key=key, headers=headers)
        except KafkaError as exc:
            KAFKA_PRODUCED.labels(topic, "failed").inc()
            raise BusUnavailable(f"could not publish to {topic}: {exc}") from exc
        KAFKA_PRODUCED.labels(topic, "ok").inc()

    async def check_connected(self) -> None:
        """Readiness: raise unless the broker answers a metadata request."""
        await self._producer.client.fetch_all_metadata()

    async def partitions_of(self, topic: str) -> set[int]:
        partitions: set[int] = await self._producer.partitions_for(topic)
        return partitions
