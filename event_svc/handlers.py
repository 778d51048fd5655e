"""Consumers of facts that event_svc reacts to: VENs (re)registering, and the operator's OpenLEADR-style
`on_created_event(ven_id, event_id, opt_type)` handler for VENs' answers.

The handler runs as a consumer of the event-responses topic (its own consumer group), so a call survives
a restart of event_svc: at-least-once, in order per VEN. It gets the opt type the VEN sent, as OpenLEADR
passes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from event_svc import refresh
from shared.contract.backend_events import RegistrationChange, RegistrationEvent
from shared.contract.envelope import Envelope, utcnow
from shared.contract.events import EventResponseFact
from shared.plugins import call_handler


class CreatedEventHandler:
    def __init__(self, on_created_event: Callable[..., Any]) -> None:
        self._on_created_event = on_created_event

    async def __call__(self, envelope: Envelope) -> None:
        fact = envelope.payload
        if isinstance(fact, EventResponseFact):
            await call_handler(self._on_created_event, fact.ven_id, fact.event_id, fact.opt_type)
        return None


class RegistrationWatcher:
    """A VEN that registers (or registers again, having lost its state) gets its full set of events."""

    def __init__(self, pool: asyncpg.Pool, outlet: refresh.SetOutlet) -> None:
        self._pool = pool
        self._outlet = outlet

    async def __call__(self, envelope: Envelope) -> None:
        fact = envelope.payload
        if not isinstance(fact, RegistrationEvent):
            return None
        if fact.change not in (RegistrationChange.CREATED, RegistrationChange.REREGISTERED):
            return None
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                await refresh.refresh_ven(conn, fact.ven_id, utcnow(), self._outlet, registered_at=fact.occurred_at)
        return None
