"""The consumer loop every service runs: consume, handle, reply, then commit.

Offsets are committed only after a batch is fully handled (at-least-once); handlers are idempotent by
the envelope's message id. Records with the same key (one VEN) are handled in order; records of
different VENs, and partitions, run concurrently, up to a bound.
A handler failing on a transient error (Kafka down, or what the service names: its database down) is
retried with backoff without committing, so nothing is lost; a record that keeps failing for another reason
is parked on the dead-letter topic, logged and counted, so that one poison record cannot stall a partition
forever. A request the service says goes stale (its answer is the delivery: shared.stale_requests) is skipped
when it is older than the asker's reply timeout by its turn: the asker has stopped waiting for the answer.
What is transient and what goes stale are the service's rules (`ServiceRules`): the bus knows neither the
database nor the messages the envelopes carry.
A service may add a batch handler for one kind of message that is cheaper handled many at a time (report
data): the records it accepts are handed to it together, in fetch order, per-key order kept against the
others (shared.bus.batch_segments), and their replies sent together. A batch failing for other than a
transient reason is handled again record by record, so the dead-letter rule above applies to each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from shared import topics
from shared.bus import clients
from shared.bus.batch_segments import segments
from shared.bus.connection import KafkaConnection
from shared.bus.errors import BusUnavailable
from shared.bus.producer import BusProducer
from shared.contract.envelope import Envelope, utcnow
from shared.contract.ven_traffic import ContractModel
from shared.logs import correlation_id_var, ven_id_var
from shared.metrics import HANDLER_ERRORS, HANDLER_LATENCY, KAFKA_CONSUMED, KAFKA_CONSUMER_LAG

log = logging.getLogger(__name__)

Handler = Callable[[Envelope], Awaitable[ContractModel | None]]
Fetched = tuple[ConsumerRecord[bytes, bytes], Envelope | None]  # None: the record could not be decoded


class BatchHandler(Protocol):
    def accepts(self, envelope: Envelope) -> bool:
        """Whether this envelope goes to `handle_batch` rather than to the per-record handler."""

    async def handle_batch(self, envelopes: Sequence[Envelope]) -> list[ContractModel | None]:
        """Handle the envelopes, idempotently, in order; one reply (or None) per envelope, in the same order."""


# The bus's own failures that pass (Kafka or the network away, a wait timed out): retried without committing.
TRANSIENT_BUS_ERRORS: tuple[type[BaseException], ...] = (OSError, BusUnavailable, KafkaError, TimeoutError)
MAX_ATTEMPTS_FOR_OTHER_ERRORS = 3
LAG_REFRESH_SECONDS = 1.0


def _nothing_goes_stale(envelope: Envelope) -> bool:
    return False


@dataclass(frozen=True)
class ServiceRules:
    """What the service running a consumer knows about its records, and the bus does not.

    `transient_errors`: its handlers' failures that pass (its database down), retried without committing as
    the bus's own are; any other failure is retried a few times, then dead-lettered. `goes_stale`: its
    requests not worth handling once the asker has stopped waiting for the answer (older than
    `stale_after_seconds` of the consumer).
    """

    transient_errors: tuple[type[BaseException], ...] = ()
    goes_stale: Callable[[Envelope], bool] = _nothing_goes_stale


@dataclass(frozen=True)
class TopicAssignment:
    """The partitions of one topic a consumer holds, and how many the topic has."""

    partitions: frozenset[int]
    partition_count: int


AssignmentWatcher = Callable[[TopicAssignment], None]


class GroupMembership(ConsumerRebalanceListener):  # type: ignore[misc]
    """Tracks whether the consumer is a member of its group (an assignment, even an empty one, was made), and
    tells watchers which partitions of their topic it holds after each rebalance."""

    def __init__(self, partition_count: Callable[[str], int]) -> None:
        self.joined = False
        self._partition_count = partition_count
        self._watchers: list[tuple[str, AssignmentWatcher]] = []

    def watch(self, topic: str, watcher: AssignmentWatcher) -> None:
        self._watchers.append((topic, watcher))

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.joined = False
        for topic, watcher in self._watchers:
            watcher(TopicAssignment(frozenset(), self._partition_count(topic)))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.joined = True
        for topic, watcher in self._watchers:
            held = frozenset(tp.partition for tp in assigned if tp.topic == topic)
            watcher(TopicAssignment(held, self._partition_count(topic)))


class ServiceConsumer:
    def __init__(
        self,
        *,
        kafka: KafkaConnection,
        group_id: str,
        topic_names: Sequence[str],
        handler: Handler,
        producer: BusProducer,
        client_id: str,
        max_concurrency: int = 16,
        stale_after_seconds: float | None = None,
        rules: ServiceRules = ServiceRules(),
        batch_handler: BatchHandler | None = None,
        max_records: int = 200,
    ) -> None:
        self._consumer = clients.consumer(
            kafka,
            group_id=group_id,
            client_id=client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_interval_ms=300000,
            session_timeout_ms=6000,
            heartbeat_interval_ms=1500,
        )
        self._membership = GroupMembership(self._partition_count)
        self._consumer.subscribe(list(topic_names), listener=self._membership)
        self._handler = handler
        self._batch_handler = batch_handler
        self._max_records = max_records
        self._producer = producer
        self._group_id = group_id
        self._next_offsets: dict[TopicPartition, int] = {}
        self._lag_refreshed_at = 0.0
        self._errors = {
            kind: HANDLER_ERRORS.labels(group_id, kind)
            for kind in ("transient", "failed", "dead_lettered", "undecodable", "stale")
        }
        self._stale_after = stale_after_seconds
        self._goes_stale = rules.goes_stale
        self._transient = TRANSIENT_BUS_ERRORS + rules.transient_errors
        self._latency = HANDLER_LATENCY.labels(group_id)
        self._task_started = False
        self._stopping = asyncio.Event()
        self._concurrency = asyncio.Semaphore(max_concurrency)
        self.handled = 0

    @property
    def group_id(self) -> str:
        return self._group_id

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        await self._consumer.stop()

    def watch_assignment(self, topic: str, watcher: AssignmentWatcher) -> None:
        """Call `watcher` with this member's partitions of `topic` after every rebalance (none while revoked)."""
        self._membership.watch(topic, watcher)

    def _partition_count(self, topic: str) -> int:
        return len(self._consumer.partitions_for_topic(topic) or ())

    async def check_connected(self) -> None:
        """Readiness: raise unless the loop runs, the group was joined and the broker answers metadata."""
        if not self._task_started or self._stopping.is_set():
            raise RuntimeError(f"{self._group_id}: consumer loop not running")
        if not self._membership.joined:
            raise RuntimeError(f"{self._group_id}: not a member of the consumer group yet")
        await self._consumer.topics()

    async def run(self) -> None:
        """Consume until stop() is called; the batch in hand is finished and committed first."""
        self._task_started = True
        try:
            while not self._stopping.is_set():
                batches = await self._consumer.getmany(timeout_ms=500, max_records=self._max_records)
                if batches:
                    await self._handle_fetched(batches)
                    offsets = {tp: records[-1].offset + 1 for tp, records in batches.items() if records}
                    if not await self._commit(offsets):
                        continue
                    self._next_offsets.update(offsets)
                    for tp, records in batches.items():
                        KAFKA_CONSUMED.labels(tp.topic, self._group_id).inc(len(records))
                self._refresh_lag()
        finally:
            self._task_started = False

    async def _commit(self, offsets: dict[TopicPartition, int]) -> bool:
        """Commit after handling; a commit refused because the group moved on (this member was frozen or cut
        off past the session timeout) is not fatal: the records go to the partitions' new owner, or back to
        this consumer once it rejoins, and handlers are idempotent."""
        try:
            await self._consumer.commit(offsets)
        except KafkaError as exc:
            self._errors["transient"].inc()
            log.warning(
                "offset commit failed, the batch will be redelivered",
                extra={"action": "commit_failed", "error": repr(exc)},
            )
            return False
        return True

    def _refresh_lag(self) -> None:
        """Lag per assigned partition from the last fetch's high watermark (no broker round trip)."""
        now = time.monotonic()
        if now - self._lag_refreshed_at < LAG_REFRESH_SECONDS:
            return
        self._lag_refreshed_at = now
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            next_offset = self._next_offsets.get(tp)
            if highwater is None:
                continue
            lag = max(0, highwater - next_offset) if next_offset is not None else 0
            KAFKA_CONSUMER_LAG.labels(tp.topic, str(tp.partition), self._group_id).set(lag)

    async def _handle_fetched(self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
        fetched = [(record, self._decode(record)) for records in batches.values() for record in records]
        batch_handler = self._batch_handler
        if batch_handler is None:
            await self._handle_one_by_one(fetched)
            return

        def batchable(item: Fetched) -> bool:
            envelope = item[1]
            return envelope is not None and batch_handler.accepts(envelope)

        for segment in segments(fetched, _order_key, batchable):
            await asyncio.gather(
                self._handle_batch(batch_handler, segment.batched), self._handle_one_by_one(segment.one_by_one)
            )

    def _decode(self, record: ConsumerRecord[bytes, bytes]) -> Envelope | None:
        try:
            return Envelope.from_bytes(record.value or b"")
        except ValueError as exc:
            log.error(
                "undecodable record", extra={"action": "record_undecodable", "topic": record.topic, "error": str(exc)}
            )
            return None

    async def _handle_one_by_one(self, fetched: list[Fetched]) -> None:
        in_order_per_key: dict[Hashable, list[Fetched]] = {}
        for item in fetched:
            in_order_per_key.setdefault(_order_key(item), []).append(item)
        await asyncio.gather(*(self._handle_in_order(group) for group in in_order_per_key.values()))

    async def _handle_in_order(self, fetched: list[Fetched]) -> None:
        async with self._concurrency:
            for record, envelope in fetched:
                await self._handle_record(record, envelope)

    async def _handle_record(self, record: ConsumerRecord[bytes, bytes], envelope: Envelope | None) -> None:
        if envelope is None:
            self._errors["undecodable"].inc()
            await self._park(record, "undecodable envelope")
            return
        correlation_id_var.set(envelope.correlation_id)
        ven_id_var.set(envelope.ven_id)
        started = time.perf_counter()
        try:
            await self._handle_envelope(record, envelope)
        finally:
            self._latency.observe(time.perf_counter() - started)

    async def _handle_batch(self, batch_handler: BatchHandler, fetched: list[Fetched]) -> None:
        fresh = [
            (record, envelope)
            for record, envelope in fetched
            if envelope is not None and not self._skip_stale(envelope)
        ]
        if not fresh:
            return
        envelopes = [envelope for _, envelope in fresh]
        started = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            try:
                replies = await batch_handler.handle_batch(envelopes)
                await self._producer.publish_many(
                    [
                        (envelope.reply_to.topic, envelope.reply(reply), envelope.reply_to.partition)
                        for envelope, reply in zip(envelopes, replies, strict=True)
                        if reply is not None and envelope.reply_to is not None
                    ]
                )
                break
            except self._transient as exc:
                await self._back_off("batch", attempt, exc)
            except Exception:
                log.exception(
                    "batch failed, handling its records one by one",
                    extra={"action": "batch_failed", "count": len(fresh)},
                )
                self._errors["failed"].inc()
                await self._handle_one_by_one(list(fresh))
                return
        self.handled += len(fresh)
        elapsed = time.perf_counter() - started
        for _ in fresh:
            self._latency.observe(elapsed)

    async def _back_off(self, message_type: str, attempt: int, exc: BaseException) -> None:
        self._errors["transient"].inc()
        log.warning(
            "transient failure, retrying",
            extra={"action": "handler_retry", "type": message_type, "attempt": attempt, "error": repr(exc)},
        )
        await asyncio.sleep(min(0.2 * 2 ** min(attempt, 5), 5.0))

    async def _handle_envelope(self, record: ConsumerRecord[bytes, bytes], envelope: Envelope) -> None:
        attempt = 0
        while True:
            attempt += 1
            if self._skip_stale(envelope):
                return
            try:
                reply = await self._handler(envelope)
                if reply is not None and envelope.reply_to is not None:
                    await self._producer.publish(
                        envelope.reply_to.topic, envelope.reply(reply), partition=envelope.reply_to.partition
                    )
                self.handled += 1
                return
            except self._transient as exc:
                await self._back_off(envelope.type, attempt, exc)
            except Exception as exc:
                log.exception(
                    "handler failed", extra={"action": "handler_failed", "type": envelope.type, "attempt": attempt}
                )
                self._errors["failed"].inc()
                if attempt >= MAX_ATTEMPTS_FOR_OTHER_ERRORS:
                    self._errors["dead_lettered"].inc()
                    await self._park(record, repr(exc))
                    return

    def _skip_stale(self, envelope: Envelope) -> bool:
        if not self._is_stale(envelope):
            return False
        self._errors["stale"].inc()
        log.warning(
            "request older than the reply timeout, skipped", extra={"action": "request_stale", "type": envelope.type}
        )
        return True

    def _is_stale(self, envelope: Envelope) -> bool:
        """A request that goes stale, whose asker has stopped waiting for the answer."""
        if self._stale_after is None or envelope.reply_to is None or not self._goes_stale(envelope):
            return False
        return (utcnow() - envelope.created_at).total_seconds() > self._stale_after

    async def _park(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        headers = list(record.headers) + [
            ("dead_letter_reason", reason.encode()[:1000]),
            ("original_topic", record.topic.encode()),
            ("consumer_group", self._group_id.encode()),
        ]
        await self._producer.publish_raw(topics.DEAD_LETTERS, record.key, record.value or b"", headers)


def _order_key(item: Fetched) -> Hashable:
    """Records with the same key (one VEN) keep their order; one without a key (a first registration)
    belongs to no VEN yet, so it has no order to keep."""
    record = item[0]
    return record.key if record.key is not None else (record.topic, record.partition, record.offset)
