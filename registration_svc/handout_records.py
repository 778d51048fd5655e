"""The records of pending messages delivered (`PendingDelivered`: handed out by a gateway, or pushed and
answered), many at a time.

When an event reaches a thousand VENs, the gateways hand out a thousand sets within a poll interval and
record each on the poll-requests topic. One transaction per record would cost registration_svc and
PostgreSQL a few round trips each while the VENs' answers arrive; here a consumer fetch's records are
marked delivered together (pending.mark_delivered_many). Marking is idempotent by nature (only an
undelivered row changes), so no inbox row is kept; a VEN whose queue still holds a message once its handout
is recorded gets a notice that sends its next poll to this service (or wakes its pusher). A pushed
oadrCancelPartyRegistration marked delivered now cancels the registration in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from registration_svc.polls import NEEDS_TRANSACTION, cancelled_by_delivery
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import ContractModel, PendingDelivered
from shared.db import pending
from shared.db.outbox import OutboxRelay


class HandoutRecords:
    def __init__(self, pool: asyncpg.Pool, relay: OutboxRelay) -> None:
        self._pool = pool
        self._relay = relay

    def accepts(self, envelope: Envelope) -> bool:
        return isinstance(envelope.payload, PendingDelivered)

    async def handle_batch(self, envelopes: Sequence[Envelope]) -> list[ContractModel | None]:
        handouts = []
        for envelope in envelopes:
            fact = envelope.payload
            if not isinstance(fact, PendingDelivered):
                raise TypeError(f"not a handout record: {envelope.type}")
            handouts.append((fact.ven_id, fact.pending_id, fact.delivered_at))
        async with self._pool.acquire() as conn, conn.transaction():
            found = await pending.mark_delivered_many(conn, handouts)
            cancelled = sorted({ven_id for ven_id, message_type in found.marked if message_type in NEEDS_TRANSACTION})
            for ven_id in cancelled:
                await cancelled_by_delivery(conn, ven_id)
        if found.waiting or cancelled:
            self._relay.wake()
        return [None] * len(envelopes)
