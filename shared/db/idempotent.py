"""Wrap a message handler so that it runs once per message id, in one transaction with its effects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from shared.contract.envelope import Envelope, Payload
from shared.db import inbox
from shared.db.connection import Conn
from shared.db.outbox import OutboxRelay

Process = Callable[[Conn, Envelope], Awaitable[Payload | None]]


class IdempotentHandler:
    """Claims the envelope's message id, runs `process` and records its reply, all in one transaction.

    A redelivered envelope (consumer restart, rebalance) gets the stored reply without side effects.
    After commit the outbox relay is woken so records reach Kafka at once.
    """

    def __init__(self, pool: asyncpg.Pool, consumer_name: str, process: Process, relay: OutboxRelay) -> None:
        self._pool = pool
        self._consumer_name = consumer_name
        self._process = process
        self._relay = relay

    async def __call__(self, envelope: Envelope) -> Payload | None:
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                if not await inbox.claim(conn, self._consumer_name, envelope.message_id):
                    return await inbox.stored_reply(conn, self._consumer_name, envelope.message_id)
                reply = await self._process(conn, envelope)
                if reply is not None:
                    await inbox.record_reply(conn, self._consumer_name, envelope.message_id, reply)
        self._relay.wake()
        return reply


class WakingAfterCommit:
    """Runs the idempotent handler, then wakes a worker that goes on from what the handler committed (a relay,
    a fan-out)."""

    def __init__(self, handler: Callable[[Envelope], Awaitable[Payload | None]], wake: Callable[[], None]) -> None:
        self._handler = handler
        self._wake = wake

    async def __call__(self, envelope: Envelope) -> Payload | None:
        reply = await self._handler(envelope)
        self._wake()
        return reply
