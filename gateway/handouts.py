"""Reporting the pending messages this gateway handed out from its cache (a `VenChanged` handout), so
registration_svc marks them delivered."""

from __future__ import annotations

from typing import Protocol

from shared import topics
from shared.contract.envelope import Envelope, utcnow
from shared.contract.ven_traffic import PendingDelivered


class Publisher(Protocol):
    async def publish(self, topic: str, envelope: Envelope, partition: int | None = None) -> None: ...


class HandoutReporter:
    def __init__(self, producer: Publisher) -> None:
        self._producer = producer

    async def report(self, ven_id: str, pending_id: int) -> None:
        """Acknowledged by Kafka before the VEN gets the message; raises BusUnavailable otherwise. It goes on
        the poll-requests topic with the VEN's key: registration_svc records it before it handles any later
        poll of this VEN that the gateway forwards, so that poll cannot be handed the same message again."""
        fact = PendingDelivered(ven_id=ven_id, pending_id=pending_id, delivered_at=utcnow())
        await self._producer.publish(topics.POLL_REQUESTS, Envelope(ven_id=ven_id, payload=fact))
