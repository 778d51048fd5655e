"""Collects which VENs polled successfully and sends them to presence_svc in one batch per interval.

Per-poll work is a dict assignment; a batch that cannot be published is merged back and retried, so a
Kafka outage delays presence but loses no sighting.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from shared import topics
from shared.bus.errors import BusError
from shared.bus.producer import BusProducer
from shared.contract.backend_events import PollSighting, PollsObserved
from shared.contract.envelope import Envelope

log = logging.getLogger(__name__)

MAX_SIGHTINGS_PER_RECORD = 5000


class SightingBatcher:
    def __init__(self, producer: BusProducer, gateway_instance: str, flush_seconds: float) -> None:
        self._producer = producer
        self._gateway_instance = gateway_instance
        self._flush_seconds = flush_seconds
        self._seen: dict[str, float] = {}
        self._stopping = asyncio.Event()

    def saw(self, ven_id: str, at: float) -> None:
        self._seen[ven_id] = at

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self._flush_seconds)
            except TimeoutError:
                pass
            await self.flush()

    async def stop(self) -> None:
        self._stopping.set()

    async def flush(self) -> None:
        if not self._seen:
            return
        batch, self._seen = self._seen, {}
        items = list(batch.items())
        for start in range(0, len(items), MAX_SIGHTINGS_PER_RECORD):
            chunk = items[start : start + MAX_SIGHTINGS_PER_RECORD]
            sightings = tuple(
                PollSighting(ven_id=ven_id, seen_at=datetime.fromtimestamp(at, UTC)) for ven_id, at in chunk
            )
            payload = PollsObserved(gateway_instance=self._gateway_instance, sightings=sightings)
            try:
                await self._producer.publish(topics.PRESENCE_OBSERVATIONS, Envelope(payload=payload))
            except BusError as exc:
                log.warning(
                    "sightings not published, keeping them", extra={"action": "sightings_retry", "error": repr(exc)}
                )
                for ven_id, at in items[start:]:
                    self._seen[ven_id] = max(at, self._seen.get(ven_id, at))
                return
