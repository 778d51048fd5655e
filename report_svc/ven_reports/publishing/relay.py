"""Publishes stored report data to `oadr.report.data.v1` exactly once, in the order it was stored.

The report_data table is its own outbox: a row is stored unpublished, in the transaction that accepts
the VEN's report, and marked published after Kafka has it. Rows are published in lanes, one per partition
of the topic (report_svc.ven_reports.publishing.lanes): each instance publishes the lanes that go with the report-request
partitions it consumes, holding a PostgreSQL advisory lock per lane, so one lane has one publisher at a time
and a VEN's records (all in its lane) keep their order. A publisher that dies between publishing and marking
leaves a few rows that are on Kafka but look unpublished: whoever takes a lane over first reads the tail of
its partition and marks the rows it finds there (each record's message id names its row), so nothing is
published twice. Consumers see every record once and in order. A publisher also looks for new rows every
`sweep_seconds`, for data stored by another instance (around a rebalance).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection

import asyncpg
from aiokafka import AIOKafkaProducer, TopicPartition

from report_svc.ven_reports import store
from report_svc.ven_reports.publishing.lanes import owned_lanes
from report_svc.ven_reports.publishing.record_encoding import encoded_record, seq_of
from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.bus.producer import kafka_producer
from shared.bus.service_consumer import TopicAssignment
from shared.contract.envelope import Envelope
from shared.db.connection import Conn
from shared.metrics import KAFKA_PRODUCED, REPORT_DATA_LANES

log = logging.getLogger(__name__)

_LANE_LOCKS = 7331_4100  # lane L's publisher holds advisory lock _LANE_LOCKS + L (any constants shared by all)
# The one lock of report_svc versions that published alone. Lane publishers hold it shared, so that during a
# rolling upgrade an older instance never publishes alongside them; it only publishes while no lane is held.
_SINGLE_PUBLISHER_LOCK = 7331_4004
RELAY_LINGER_MS = 2  # the relay hands over whole batches: little to gain from waiting for more
RELAY_REQUEST_TIMEOUT_MS = 40000  # aiokafka's default: a slow broker delays the relay, it loses nothing


class ReportDataRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        kafka: KafkaConnection,
        client_id: str,
        lanes: int,
        sweep_seconds: float = 0.2,
        batch_size: int = 500,
    ) -> None:
        self._pool = pool
        self._kafka = kafka
        self._client_id = client_id
        self._lanes = lanes
        self._sweep_seconds = sweep_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._wanted: frozenset[int] = frozenset()

    def wake(self) -> None:
        self._wake.set()

    def assign(self, assignment: TopicAssignment) -> None:
        """The group moved report-request partitions: publish the lanes that now go with this instance's."""
        self._wanted = owned_lanes(self._lanes, assignment)
        self._wake.set()

    async def run(self) -> None:
        """Relay until cancelled. Cancelling mid-batch is safe: the lane's next publisher recovers."""
        while True:
            # Its own producer: a batch is handed over record by record, in order, then awaited as a whole.
            producer = kafka_producer(
                self._kafka, self._client_id, linger_ms=RELAY_LINGER_MS, request_timeout_ms=RELAY_REQUEST_TIMEOUT_MS
            )
            try:
                await producer.start()
                await self._check_partitions(producer)
                async with self._pool.acquire() as conn:
                    try:
                        await self._publish_lanes(conn, producer)
                    finally:
                        REPORT_DATA_LANES.set(0)
                        try:
                            await conn.execute("SELECT pg_advisory_unlock_all()")
                        except BaseException:
                            conn.terminate()  # never back to the pool holding a lock (shared.db.pool)
                            raise
            except Exception as exc:  # Kafka or PostgreSQL away: start afresh, recovering first
                log.warning(
                    "report data relay failed, will retry", extra={"action": "report_relay_retry", "error": repr(exc)}
                )
                await asyncio.sleep(1)
            finally:
                await producer.stop()

    async def _check_partitions(self, producer: AIOKafkaProducer) -> None:
        partitions = await producer.partitions_for(topics.REPORT_DATA)
        if len(partitions) < self._lanes:
            raise RuntimeError(
                f"{topics.REPORT_DATA} has {len(partitions)} partitions, fewer than the {self._lanes} lanes configured"
            )

    async def _publish_lanes(self, conn: Conn, producer: AIOKafkaProducer) -> None:
        """Hold the lanes this instance owns (the lock of each), publishing their rows as they come."""
        held: set[int] = set()
        while not await conn.fetchval("SELECT pg_try_advisory_lock_shared($1)", _SINGLE_PUBLISHER_LOCK):
            await self._nap()  # an older instance publishes everything: wait until it stops
        while True:
            await self._follow_assignment(conn, held)
            if held:
                while await self._publish_batch(conn, producer, held) == self._batch_size:
                    pass
            await self._nap()

    async def _follow_assignment(self, conn: Conn, held: set[int]) -> None:
        """Release the lanes this instance no longer owns and take those it now does (when their last publisher
        has let go), recovering each taken lane first."""
        wanted = self._wanted
        released = sorted(held - wanted)
        for lane in released:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LANE_LOCKS + lane)
            held.discard(lane)
        if released:
            log.info("report data lanes released", extra={"action": "report_lanes_released", "lanes": released})
        taken = [
            lane
            for lane in sorted(wanted - held)
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LANE_LOCKS + lane)
        ]
        if taken:
            await self._recover(conn, taken)
            held.update(taken)
            log.info("report data lanes taken", extra={"action": "report_lanes_taken", "lanes": taken})
        REPORT_DATA_LANES.set(len(held))

    async def _nap(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=self._sweep_seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def _publish_batch(self, conn: Conn, producer: AIOKafkaProducer, lanes: Collection[int]) -> int:
        # Rows an older instance stored without a lane (rolling upgrade) get theirs first, so that none is
        # published after a later row of the same VEN.
        await store.give_lanes(conn, self._lanes)
        batch = await store.unpublished(conn, sorted(lanes), self._batch_size)
        delivered = []
        for row in batch:
            record = encoded_record(row)
            delivered.append(
                await producer.send(
                    topics.REPORT_DATA, record.value, key=record.key, headers=record.headers, partition=row["lane"]
                )
            )
        await asyncio.gather(*delivered)
        await store.mark_published(conn, [row["seq"] for row in batch])
        KAFKA_PRODUCED.labels(topics.REPORT_DATA, "ok").inc(len(batch))
        return len(batch)

    async def _recover(self, conn: Conn, lanes: list[int]) -> None:
        """Mark as published the rows whose records are already on the lanes' partitions (a predecessor died
        between publishing and marking)."""
        seqs = await self._seqs_on_partition_tails(lanes)
        recovered = await store.mark_published(conn, seqs)
        if recovered:
            log.info(
                "report data found already published", extra={"action": "report_relay_recovered", "count": recovered}
            )

    async def _seqs_on_partition_tails(self, lanes: list[int]) -> list[int]:
        """The row numbers of the last records of each lane's partition (at most a batch: what one publisher
        can leave unmarked)."""
        consumer = clients.consumer(self._kafka, group_id=None, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - metadata of a topic we do not subscribe to
            partitions = [TopicPartition(topics.REPORT_DATA, lane) for lane in lanes]
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
                for records in batches.values():
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
