"""The consumer loop every service runs: consume, handle, reply, then commit.

Offsets are committed only after a batch is fully handled (at-least-once); handlers are idempotent by
the envelope's message id. Records with the same key (one VEN) are handled in order; records of
different VENs, and partitions, run concurrently, up to a bound.
A handler failing on a transient error (database or Kafka down) is retried with backoff without
committing, so nothing is lost; a record that keeps failing for another reason is parked on the
dead-letter topic, logged and counted, so that one poison record cannot stall a partition forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaError

from shared import topics
from shared.bus.errors import BusUnavailable
from shared.bus.producer import BusProducer
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import ContractModel
from shared.logs import correlation_id_var, ven_id_var

log = logging.getLogger(__name__)

Handler = Callable[[Envelope], Awaitable[ContractModel | None]]

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    BusUnavailable,
    KafkaError,
    TimeoutError,
)
MAX_ATTEMPTS_FOR_OTHER_ERRORS = 3


class ServiceConsumer:
    def __init__(
        self,
        *,
        bootstrap_servers: str,
        group_id: str,
        topic_names: Sequence[str],
        handler: Handler,
        producer: BusProducer,
        client_id: str,
        max_concurrency: int = 16,
    ) -> None:
        self._consumer = AIOKafkaConsumer(
            *topic_names,
            bootstrap_servers=bootstrap_servers,
            group_id=group_id,
            client_id=client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_interval_ms=300000,
            session_timeout_ms=6000,
            heartbeat_interval_ms=1500,
        )
        self._handler = handler
        self._producer = producer
        self._group_id = group_id
        self._stopping = asyncio.Event()
        self._concurrency = asyncio.Semaphore(max_concurrency)
        self.handled = 0

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        await self._consumer.stop()

    async def run(self) -> None:
        """Consume until stop() is called; the batch in hand is finished and committed first."""
        while not self._stopping.is_set():
            batches = await self._consumer.getmany(timeout_ms=500, max_records=200)
            if not batches:
                continue
            await asyncio.gather(*(self._handle_partition(records) for records in batches.values()))
            await self._consumer.commit(
                {tp: records[-1].offset + 1 for tp, records in batches.items() if records}
            )

    async def _handle_partition(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        in_order_per_key: dict[bytes | int, list[ConsumerRecord[bytes, bytes]]] = {}
        for record in records:
            # A record without a key (e.g. a first registration) belongs to no VEN yet: no order to keep.
            in_order_per_key.setdefault(record.key if record.key is not None else record.offset, []).append(record)
        await asyncio.gather(*(self._handle_in_order(group) for group in in_order_per_key.values()))

    async def _handle_in_order(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        async with self._concurrency:
            for record in records:
                await self._handle_record(record)

    async def _handle_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            envelope = Envelope.from_bytes(record.value or b"")
        except ValueError as exc:
            log.error("undecodable record", extra={"action": "record_undecodable", "topic": record.topic, "error": str(exc)})
            await self._park(record, f"undecodable: {exc}")
            return
        correlation_id_var.set(envelope.correlation_id)
        ven_id_var.set(envelope.ven_id)
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = await self._handler(envelope)
                if reply is not None and envelope.reply_to is not None:
                    await self._producer.publish(
                        envelope.reply_to.topic, envelope.reply(reply), partition=envelope.reply_to.partition
                    )
                self.handled += 1
                return
            except TRANSIENT_ERRORS as exc:
                delay = min(0.2 * 2 ** min(attempt, 5), 5.0)
                log.warning(
                    "transient failure, retrying",
                    extra={"action": "handler_retry", "type": envelope.type, "attempt": attempt, "error": repr(exc)},
                )
                await asyncio.sleep(delay)
            except Exception as exc:
                log.exception("handler failed", extra={"action": "handler_failed", "type": envelope.type, "attempt": attempt})
                if attempt >= MAX_ATTEMPTS_FOR_OTHER_ERRORS:
                    await self._park(record, repr(exc))
                    return

    async def _park(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        headers = list(record.headers) + [
            ("dead_letter_reason", reason.encode()[:1000]),
            ("original_topic", record.topic.encode()),
            ("consumer_group", self._group_id.encode()),
        ]
        await self._producer.publish_raw(topics.DEAD_LETTERS, record.key, record.value or b"", headers)
