"""Turns poll sightings and silence into presence transitions published through the outbox."""

from __future__ import annotations

import logging
from datetime import datetime

import asyncpg

from shared.db.connection import Conn

from presence_svc import store
from shared import topics
from shared.contract.backend_events import PollsObserved, PresenceEvent, PresenceStatus
from shared.contract.envelope import Envelope, utcnow
from shared.db import outbox
from shared.db.outbox import OutboxRelay

log = logging.getLogger(__name__)


class PresenceTracker:
    def __init__(self, pool: asyncpg.Pool, relay: OutboxRelay, silence_seconds: float) -> None:
        self._pool = pool
        self._relay = relay
        self._silence_seconds = silence_seconds

    async def on_observations(self, envelope: Envelope) -> None:
        """Consumer handler for the gateway's PollsObserved batches."""
        batch = envelope.payload
        if not isinstance(batch, PollsObserved) or not batch.sightings:
            return None
        async with self._pool.acquire() as conn, conn.transaction():
            came_online = await store.record_sightings(conn, batch.sightings)
            await store.record_history(conn, True, came_online)
            await self._publish(conn, PresenceStatus.ONLINE, came_online)
        if came_online:
            self._relay.wake()
        return None

    async def sweep(self) -> None:
        """Periodic: VENs silent for N poll intervals go offline."""
        async with self._pool.acquire() as conn, conn.transaction():
            went_offline = await store.mark_silent_offline(conn, self._silence_seconds)
            await store.record_history(conn, False, went_offline)
            await self._publish(conn, PresenceStatus.OFFLINE, went_offline)
        if went_offline:
            self._relay.wake()

    @staticmethod
    async def _publish(conn: Conn, status: PresenceStatus, changes: list[tuple[str, datetime]]) -> None:
        now = utcnow()
        for ven_id, last_seen in changes:
            event = PresenceEvent(status=status, ven_id=ven_id, last_seen=last_seen, occurred_at=now)
            await outbox.add(conn, topics.PRESENCE_EVENTS, Envelope(ven_id=ven_id, payload=event))
            log.info("ven presence changed", extra={"action": f"ven_{status.value}", "subject_ven": ven_id})
