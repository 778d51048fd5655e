"""Request-reply over Kafka for the gateway.

Each gateway instance reads one partition of the reply topic, assigned by hand (no consumer group), and
puts that address in every request. Instances that happen to share a partition both read it and each
keeps only the replies whose correlation id it is waiting for. A future is registered before the request
is produced and always removed afterwards. A request that timed out is remembered for a while, so a reply
that arrives after all is handed to `on_late_reply` (the gateway puts back a pending message such a reply
carried, since the VEN was answered 503 instead) and to the request's own late-reply handler, if it gave one
(the gateway caches a late "nothing pending" poll answer); any other reply nobody waits for is dropped.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import TopicPartition

from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.bus.errors import ReplyTimeout
from shared.bus.producer import BusProducer
from shared.contract.envelope import Envelope, ReplyAddress

log = logging.getLogger(__name__)


LateReplyHandler = Callable[[Envelope], None]
ABANDONED_MEMORY_SECONDS = 600.0
ABANDONED_MAX_ENTRIES = 100_000
STOP_SENDING_SECONDS = 5.0  # at stop, how long requests still being sent for no one may take


def reply_partition_for(instance_id: str, partition_count: int) -> int:
    return zlib.crc32(instance_id.encode()) % partition_count


@dataclass(frozen=True, slots=True)
class GivenUp:
    """A request given up on: when, and who else wants its reply should it come after all."""

    at: float
    on_late: LateReplyHandler | None


class AbandonedRequests:
    """Correlation ids of requests given up on, for `memory_seconds` and at most `max_entries` of them."""

    def __init__(
        self,
        memory_seconds: float = ABANDONED_MEMORY_SECONDS,
        max_entries: int = ABANDONED_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._memory_seconds = memory_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._given_up: OrderedDict[str, GivenUp] = OrderedDict()

    def __len__(self) -> int:
        return len(self._given_up)

    def add(self, correlation_id: str, on_late: LateReplyHandler | None = None) -> None:
        now = self._clock()
        self._given_up[correlation_id] = GivenUp(now, on_late)
        oldest_kept = now - self._memory_seconds
        while self._given_up:
            oldest_id, given_up = next(iter(self._given_up.items()))
            if given_up.at >= oldest_kept and len(self._given_up) <= self._max_entries:
                break
            del self._given_up[oldest_id]

    def claim(self, correlation_id: str) -> GivenUp | None:
        """The request given up on (and still remembered), once."""
        return self._given_up.pop(correlation_id, None)


class RequestReplyClient:
    def __init__(
        self,
        producer: BusProducer,
        kafka: KafkaConnection,
        reply_address: ReplyAddress,
        abandoned: AbandonedRequests | None = None,
    ) -> None:
        self._producer = producer
        self._reply_address = reply_address
        self._consumer = clients.consumer(
            kafka,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="latest",
        )
        self._waiting: dict[str, asyncio.Future[Envelope]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._abandoned = abandoned or AbandonedRequests()
        self._still_sending: set[asyncio.Future[None]] = set()  # kept sending after their asker stopped waiting
        self.on_late_reply: LateReplyHandler | None = None

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
        if self._still_sending:
            await asyncio.wait(self._still_sending, timeout=STOP_SENDING_SECONDS)
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

    async def request(
        self,
        topic: str,
        envelope: Envelope,
        timeout: float,
        on_late: LateReplyHandler | None = None,
        keep_sending: bool = False,
    ) -> Envelope:
        """Publish `envelope` to `topic` and wait for the reply with the same correlation id. Should the reply
        come after `timeout`, it goes to `on_late` too (besides `on_late_reply`).

        With `keep_sending`, a request still on its way to Kafka when `timeout` passes is sent all the same (its
        reply is then a late one). That is for requests their sender does not repeat after a 503, such as a
        VEN's answer to an event: dropped, it would stay unrecorded until the service sent the event again."""
        addressed = envelope.model_copy(update={"reply_to": self._reply_address})
        future: asyncio.Future[Envelope] = asyncio.get_running_loop().create_future()
        self._waiting[addressed.correlation_id] = future
        sending = asyncio.ensure_future(self._producer.publish(topic, addressed)) if keep_sending else None
        try:
            async with asyncio.timeout(timeout):
                if sending is None:
                    await self._producer.publish(topic, addressed)
                else:
                    await asyncio.shield(sending)
                return await future
        except TimeoutError:
            self._abandoned.add(addressed.correlation_id, on_late)
            raise ReplyTimeout(f"no reply from {topic} within {timeout:.1f}s") from None
        finally:
            self._waiting.pop(addressed.correlation_id, None)
            if sending is not None and not sending.done():  # timed out, or the asker was cancelled
                self._still_sending.add(sending)
                sending.add_done_callback(functools.partial(self._sent_for_no_one, topic))

    def _sent_for_no_one(self, topic: str, sending: asyncio.Future[None]) -> None:
        self._still_sending.discard(sending)
        error = None if sending.cancelled() else sending.exception()
        if sending.cancelled() or error is not None:
            log.error(
                "a request given up on could not be sent",
                extra={"action": "request_unsent", "topic": topic, "error": repr(error)},
            )

    async def _read_replies(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=1000, max_records=500)
            for records in batches.values():
                for record in records:
                    self._deliver(record.headers, record.value)

    def _deliver(self, headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes | None) -> None:
        correlation_id = next((v.decode() for k, v in headers if k == "correlation_id"), None)
        if correlation_id is None or value is None:
            return
        future = self._waiting.get(correlation_id)
        if future is None:
            given_up = self._abandoned.claim(correlation_id)
            if given_up is not None:
                self._hand_late_reply(value, given_up.on_late)
            return
        if future.done():
            return
        try:
            future.set_result(Envelope.from_bytes(value))
        except ValueError as exc:
            log.error("undecodable reply", extra={"action": "reply_undecodable", "error": str(exc)})

    def _hand_late_reply(self, value: bytes, on_late: LateReplyHandler | None) -> None:
        handlers = [handler for handler in (self.on_late_reply, on_late) if handler is not None]
        if not handlers:
            return
        try:
            envelope = Envelope.from_bytes(value)
        except ValueError as exc:
            log.error("undecodable reply", extra={"action": "reply_undecodable", "error": str(exc)})
            return
        for handler in handlers:
            handler(envelope)
