"""Publishes stored report data to `oadr.report.data.v1` exactly once, in the order it was stored.

The report_data table is its own outbox: a row is stored unpublished, in the transaction that accepts
the VEN's report, and marked published after Kafka has it. One relay at a time publishes (the leader,
holding a PostgreSQL advisory lock), so one VEN's records keep their order. A relay that dies between
publishing and marking leaves a few rows that are on Kafka but look unpublished: every new leader first
reads the tail of the topic and marks the rows it finds there (each record's message id names its row),
so nothing is published twice. Consumers see every record once and in order. The leader also looks
for new rows every `sweep_seconds`, for data stored by another instance.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from report_svc import store
from report_svc.record_encoding import encoded_record, seq_of
from shared import topics
from shared.bus.producer import kafka_producer
from shared.contract.envelope import Envelope, Payload
from shared.db.idempotent import IdempotentHandler

log = logging.getLogger(__name__)

_LEADER_LOCK = 7331_4004  # any constant shared by every report_svc instance
RELAY_LINGER_MS = 2  # the relay hands over whole batches: little to gain from waiting for more
RELAY_REQUEST_TIMEOUT_MS = 40000  # aiokafka's default: a slow broker delays the relay, it loses nothing


class ReportDataRelay:
    def __init__(
        self, pool: asyncpg.Pool, bootstrap_servers: str, client_id: str, sweep_seconds: float = 0.2, batch_size: int = 500
    ) -> None:
        self._pool = pool
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._sweep_seconds = sweep_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self.published = 0

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled. Cancelling mid-batch is safe: the next leader recovers."""
        while True:
            # Its own producer: a batch is handed over record by record, in order, then awaited as a whole.
            producer = kafka_producer(
                self._bootstrap, self._client_id, linger_ms=RELAY_LINGER_MS, request_timeout_ms=RELAY_REQUEST_TIMEOUT_MS
            )
            try:
                await producer.start()
                await self._relay_while_leader(producer)
            except Exception as exc:  # Kafka or PostgreSQL away: start afresh, recovering first
                log.warning("report data relay failed, will retry", extra={"action": "report_relay_retry", "error": repr(exc)})
                await asyncio.sleep(1)
            finally:
                await producer.stop()

    async def _relay_while_leader(self, producer: AIOKafkaProducer) -> None:
        while True:
            async with self._pool.acquire() as leader:
                if await leader.fetchval("SELECT pg_try_advisory_lock($1)", _LEADER_LOCK):
                    try:
                        await self._recover()
                        while True:
                            await leader.execute("SELECT 1")  # still leader: the lock lives with this session
                            while await self._publish_batch(producer) == self._batch_size:
                                pass
                            await self._nap()
                    finally:
                        try:
                            await leader.execute("SELECT pg_advisory_unlock($1)", _LEADER_LOCK)
                        except BaseException:
                            leader.terminate()  # never back to the pool holding the lock (shared.db.pool)
                            raise
            await self._nap()

    async def _nap(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=self._sweep_seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def _publish_batch(self, producer: AIOKafkaProducer) -> int:
        async with self._pool.acquire() as conn:
            batch = await store.unpublished(conn, self._batch_size)
            delivered = []
            for row in batch:
                record = encoded_record(row)
                delivered.append(
                    await producer.send(topics.REPORT_DATA, record.value, key=record.key, headers=record.headers)
                )
            await asyncio.gather(*delivered)
            await store.mark_published(conn, [row["seq"] for row in batch])
        self.published += len(batch)
        return len(batch)

    async def _recover(self) -> None:
        """Mark as published the rows whose records are already on the topic (a predecessor died mid-batch)."""
        seqs = await self._seqs_on_topic_tail()
        async with self._pool.acquire() as conn:
            recovered = await store.mark_published(conn, seqs)
        if recovered:
            log.info("report data found already published", extra={"action": "report_relay_recovered", "count": recovered})

    async def _seqs_on_topic_tail(self) -> list[int]:
        """The row numbers of the last records of each partition (at most a batch: what one relay can leave)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - metadata of a topic we do not subscribe to
            partitions = [TopicPartition(topics.REPORT_DATA, p) for p in sorted(consumer.partitions_for_topic(topics.REPORT_DATA) or ())]
            if not partitions:
                raise RuntimeError(f"no partitions known for {topics.REPORT_DATA}")
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            starts = await consumer.beginning_offsets(partitions)
            remaining: dict[TopicPartition, int] = {}
            for tp in partitions:
                begin = max(starts[tp], ends[tp] - self._batch_size)
                if begin < ends[tp]:
                    consumer.seek(tp, begin)
                    remaining[tp] = ends[tp]
            seqs: list[int] = []
            deadline = asyncio.get_running_loop().time() + 30
            while remaining:
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError("could not read the tail of the report-data topic")
                batches = await consumer.getmany(*remaining, timeout_ms=500)
                for tp, records in batches.items():
                    for record in records:
                        found = seq_of(Envelope.from_bytes(record.value).message_id) if record.value else None
                        if found is not None:
                            seqs.append(found)
                for tp, end in list(remaining.items()):
                    if await consumer.position(tp) >= end:
                        del remaining[tp]
            return seqs
        finally:
            await consumer.stop()


class WakingAfterCommit:
    """Runs the idempotent handler, then wakes the relay: the data the handler stored is committed."""

    def __init__(self, handler: IdempotentHandler, wake: Callable[[], None]) -> None:
        self._handler = handler
        self._wake = wake

    async def __call__(self, envelope: Envelope) -> Payload | None:
        reply = await self._handler(envelope)
        self._wake()
        return reply
