"""What the pusher tells the rest of the VTN: a message delivered (registration_svc marks it), a VEN seen
alive (presence), a VEN unreachable for too long (presence marks it offline).

A delivery record goes on the poll-requests topic with the VEN's key, as a gateway's handout record does,
and is retried until Kafka holds it: the lane pushes nothing more to the VEN before that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Protocol

from gateway.push.backoff import Backoff
from shared import topics
from shared.bus.errors import BusError
from shared.contract.backend_events import VenUnreachable
from shared.contract.envelope import Envelope, utcnow
from shared.contract.ven_traffic import PendingDelivered

log = logging.getLogger(__name__)


class Publisher(Protocol):
    async def publish(self, topic: str, envelope: Envelope, partition: int | None = None) -> None: ...


class Sightings(Protocol):
    def saw(self, ven_id: str, at: float) -> None: ...


class DeliveryReporter:
    def __init__(self, producer: Publisher, sightings: Sightings, backoff: Backoff) -> None:
        self._producer = producer
        self._sightings = sightings
        self._backoff = backoff

    async def delivered(self, ven_id: str, pending_id: int) -> None:
        """Kafka holds the record that the VEN got `pending_id` (the same envelope on every attempt)."""
        fact = Envelope(
            ven_id=ven_id, payload=PendingDelivered(ven_id=ven_id, pending_id=pending_id, delivered_at=utcnow())
        )
        attempt = 0
        while True:
            try:
                await self._producer.publish(topics.POLL_REQUESTS, fact)
                return
            except BusError as error:
                attempt += 1
                log.warning(
                    "delivery not recorded yet, retrying",
                    extra={"action": "push_record_retry", "pending_id": pending_id, "error": repr(error)},
                )
                await asyncio.sleep(self._backoff.delay(attempt))

    def saw(self, ven_id: str) -> None:
        self._sightings.saw(ven_id, time.time())

    async def unreachable(self, ven_id: str, since: float, reason: str) -> bool:
        """Tell presence_svc; False when Kafka refused (the lane tells again after its next failure)."""
        fact = VenUnreachable(ven_id=ven_id, since=datetime.fromtimestamp(since, UTC), reason=reason[:300])
        try:
            await self._producer.publish(topics.PRESENCE_OBSERVATIONS, Envelope(ven_id=ven_id, payload=fact))
        except BusError as error:
            log.warning(
                "unreachable VEN not reported", extra={"action": "push_unreachable_unreported", "error": repr(error)}
            )
            return False
        return True
