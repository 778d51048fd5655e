"""Turns sightings, silence and unreachable push VENs into presence transitions published through the outbox.

A push VEN that comes back online (seen again: it answered a push or sent a request) gets its pusher woken
at once, so what waits for it goes out without waiting for the pusher's next retry.
"""

from __future__ import annotations

import logging
from datetime import datetime

import asyncpg

from presence_svc import store
from shared import topics
from shared.contract.backend_events import PollsObserved, PresenceEvent, PresenceStatus, VenUnreachable
from shared.contract.envelope import Envelope, utcnow
from shared.db import outbox, pending
from shared.db.connection import Conn
from shared.db.outbox import OutboxRelay

log = logging.getLogger(__name__)


class PresenceTracker:
    def __init__(self, pool: asyncpg.Pool, relay: OutboxRelay, silence_seconds: float) -> None:
        self._pool = pool
        self._relay = relay
        self._silence_seconds = silence_seconds

    async def on_observations(self, envelope: Envelope) -> None:
        """Consumer handler for the gateways' and pushers' PollsObserved batches and VenUnreachable facts."""
        fact = envelope.payload
        if isinstance(fact, VenUnreachable):
            await self._unreachable(fact)
            return None
        if not isinstance(fact, PollsObserved) or not fact.sightings:
            return None
        async with self._pool.acquire() as conn, conn.transaction():
            came_online = await store.record_sightings(conn, fact.sightings)
            await store.record_history(conn, True, came_online)
            await self._publish(conn, PresenceStatus.ONLINE, came_online)
            await pending.wake_pushers(conn, [ven_id for ven_id, _ in came_online], pending.CAME_ONLINE)
        if came_online:
            self._relay.wake()
        return None

    async def _unreachable(self, fact: VenUnreachable) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            went_offline = await store.mark_unreachable_offline(conn, fact.ven_id, fact.since)
            await store.record_history(conn, False, went_offline)
            await self._publish(conn, PresenceStatus.OFFLINE, went_offline)
        if went_offline:
            log.info(
                "push VEN unreachable",
                extra={"action": "ven_unreachable", "subject_ven": fact.ven_id, "reason": fact.reason},
            )
            self._relay.wake()

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
