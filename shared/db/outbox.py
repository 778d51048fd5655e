"""Transactional outbox: `add` records in the caller's transaction; `OutboxRelay` publishes them.

The relay wakes when told (right after a commit in this process) and at a steady interval (for records
left by a crashed instance), takes rows with FOR UPDATE SKIP LOCKED so several instances share the work,
publishes them, and deletes them in the same transaction. A crash between publishing and deleting
republishes: delivery to backends is at-least-once, and every record carries its message id.
"""

from __future__ import annotations

import asyncio
import json
import logging

import asyncpg

from shared.bus.producer import BusProducer
from shared.contract.envelope import Envelope
from shared.db.connection import Conn

log = logging.getLogger(__name__)


_INSERT = "INSERT INTO outbox (topic, record_key, value, headers) VALUES ($1, $2, $3, $4::jsonb)"


def _row(topic: str, envelope: Envelope) -> tuple[str, bytes | None, bytes, str]:
    return (
        topic,
        envelope.kafka_key(),
        envelope.to_bytes(),
        json.dumps([[k, v.decode()] for k, v in envelope.kafka_headers()]),
    )


async def add(conn: Conn, topic: str, envelope: Envelope) -> None:
    await conn.execute(_INSERT, *_row(topic, envelope))


async def add_many(conn: Conn, topic: str, envelopes: list[Envelope]) -> None:
    """`add` for many records, pipelined in one round trip."""
    if envelopes:
        await conn.executemany(_INSERT, [_row(topic, e) for e in envelopes])


class OutboxRelay:
    def __init__(
        self, pool: asyncpg.Pool, producer: BusProducer, sweep_seconds: float = 1.0, batch_size: int = 500
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._sweep_seconds = sweep_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.published = 0

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._sweep_seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                while await self._publish_batch() == self._batch_size:
                    pass
            except Exception as exc:  # the relay must survive outages of Kafka or PostgreSQL
                log.warning("outbox relay failed, will retry", extra={"action": "outbox_retry", "error": repr(exc)})
                await asyncio.sleep(1)
        await self._drain_once()

    async def _drain_once(self) -> None:
        try:
            await self._publish_batch()
        except Exception as exc:
            log.warning("outbox drain at shutdown failed", extra={"action": "outbox_drain_failed", "error": repr(exc)})

    async def _publish_batch(self) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, topic, record_key, value, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch_size,
            )
            if not rows:
                return 0
            await self._producer.publish_raw_batch(
                [
                    (
                        row["topic"],
                        row["record_key"],
                        row["value"],
                        [(k, v.encode()) for k, v in json.loads(row["headers"])],
                    )
                    for row in rows
                ]
            )
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [row["id"] for row in rows])
            self.published += len(rows)
            return len(rows)
