"""Feeds the fleet's figures (fleet.py) from Kafka and from periodic counts, once per gateway, and hands
every viewer the same summary as it changes (server-sent events).

The facts are read from every partition of their topics with no consumer group (each gateway needs all
of them), starting at the end: what happened before is in the next count. Report data records are only
counted (by their Kafka timestamp), never decoded, so a busy telemetry topic costs the gateway little.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from gateway.console.fleet import FleetState, FleetSummary
from gateway.exchange import Requester
from shared import topics
from shared.bus import clients
from shared.bus.connection import KafkaConnection
from shared.bus.errors import BusError
from shared.contract.backend_events import PresenceEvent, RegistrationEvent
from shared.contract.envelope import Envelope, utcnow
from shared.contract.events import CountEvents, EventCounts, EventResponseFact
from shared.contract.operator import CountVens, VenCounts

log = logging.getLogger(__name__)

FACT_TOPICS = (topics.PRESENCE_EVENTS, topics.REGISTRATION_EVENTS, topics.EVENT_RESPONSES, topics.REPORT_DATA)
# A viewer gets at most one summary per this many seconds, and a keep-alive when nothing changed.
PUSH_EVERY_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
# A count the services could not answer (they may still be starting) is asked again this soon.
RETRY_COUNT_SECONDS = 2.0


class FleetFeed:
    def __init__(
        self, kafka: KafkaConnection, requester: Requester, refresh_seconds: float, timeout_seconds: float
    ) -> None:
        self._kafka = kafka
        self._consumer: AIOKafkaConsumer | None = None
        self._requester = requester
        self._refresh_seconds = refresh_seconds
        self._timeout_seconds = timeout_seconds
        self._state = FleetState()
        self._version = 0
        self._tick = asyncio.Event()
        self._closing = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, partitions: dict[str, set[int]]) -> None:
        consumer = clients.consumer(self._kafka, group_id=None, enable_auto_commit=False)
        self._consumer = consumer
        await consumer.start()
        assigned = [TopicPartition(topic, p) for topic, found in partitions.items() for p in sorted(found)]
        consumer.assign(assigned)
        await consumer.seek_to_end(*assigned)
        for tp in assigned:
            await consumer.position(tp)
        self._tasks = [
            asyncio.create_task(self._read_facts(consumer), name="fleet-facts"),
            asyncio.create_task(self._count_periodically(), name="fleet-counts"),
        ]

    def close_streams(self) -> None:
        """End every viewer's stream (the gateway is stopping and waits for open responses)."""
        self._closing.set()

    async def stop(self) -> None:
        self.close_streams()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._consumer is not None:
            await self._consumer.stop()

    def summary(self) -> FleetSummary:
        return self._state.summary(utcnow())

    async def summaries(self) -> AsyncIterator[FleetSummary | None]:
        """The summary now, then each time it changes (at most once a second); None as a keep-alive."""
        seen = self._version
        yield self.summary()
        while not self._closing.is_set():
            changed = await self._wait_for_change(seen)
            if self._closing.is_set():
                return
            if changed:
                seen = self._version
                yield self.summary()
                await asyncio.sleep(PUSH_EVERY_SECONDS)
            else:
                yield None

    async def _wait_for_change(self, seen: int) -> bool:
        """Wait until the summary changes past version `seen`, the feed closes, or the keep-alive is due."""
        tick = self._tick
        if self._version != seen:
            return True
        waits = {asyncio.ensure_future(tick.wait()), asyncio.ensure_future(self._closing.wait())}
        try:
            await asyncio.wait(waits, timeout=KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        return self._version != seen

    def _changed_now(self) -> None:
        """A new version: wake every viewer waiting for one (each waits on the event of its time)."""
        self._version += 1
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    async def count_now(self) -> bool:
        """Ask registration_svc and event_svc for exact counts; False if either could not answer (its previous
        count stays)."""
        answered = True
        for query, apply in ((CountVens(), self._apply_vens), (CountEvents(), self._apply_events)):
            topic = topics.REGISTRATION_COMMANDS if isinstance(query, CountVens) else topics.EVENT_COMMANDS
            try:
                reply = await self._requester.request(topic, Envelope(payload=query), self._timeout_seconds)
            except BusError as exc:
                log.warning(
                    "fleet count failed",
                    extra={"action": "fleet_count_failed", "query": query.kind, "error": repr(exc)},
                )
                answered = False
                continue
            apply(reply.payload)
        self._changed_now()
        return answered

    def _apply_vens(self, payload: object) -> None:
        if isinstance(payload, VenCounts):
            self._state.vens_counted(payload)

    def _apply_events(self, payload: object) -> None:
        if isinstance(payload, EventCounts):
            self._state.events_counted(payload)

    async def _count_periodically(self) -> None:
        while True:
            answered = await self.count_now()
            await asyncio.sleep(self._refresh_seconds if answered else min(self._refresh_seconds, RETRY_COUNT_SECONDS))

    async def _read_facts(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            moved = False
            for tp, records in batches.items():
                if tp.topic == topics.REPORT_DATA:
                    per_minute = Counter(record.timestamp // 60_000 for record in records)
                    for minute, count in per_minute.items():
                        self._state.report_intervals(count, datetime.fromtimestamp(minute * 60, UTC))
                    moved = moved or bool(records)
                    continue
                for record in records:
                    moved = self._apply_fact(record.value) or moved
            if moved:
                self._changed_now()

    def _apply_fact(self, value: bytes | None) -> bool:
        try:
            payload = Envelope.from_bytes(value or b"").payload
        except ValidationError:
            log.warning("fleet feed skipped an unreadable fact", extra={"action": "fleet_fact_unreadable"})
            return False
        if isinstance(payload, PresenceEvent):
            return self._state.presence(payload)
        if isinstance(payload, RegistrationEvent):
            return self._state.registration(payload)
        if isinstance(payload, EventResponseFact):
            self._state.answer(payload)
            return True
        return False
