"""Idempotent handling: the first handling of a message id records its reply; a redelivery gets it back.

Used inside the handler's transaction, so the inbox row, the state change and the outbox records commit
together or not at all.
"""

from __future__ import annotations

import asyncpg

from shared.db.connection import Conn

from shared.contract.envelope import PAYLOAD_ADAPTER, Payload


async def claim(conn: Conn, consumer: str, message_id: str) -> bool:
    """True when this message id is new for this consumer (and is now claimed in this transaction)."""
    inserted = await conn.fetchval(
        "INSERT INTO inbox (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
        consumer,
        message_id,
    )
    return bool(inserted)


async def stored_reply(conn: Conn, consumer: str, message_id: str) -> Payload | None:
    raw = await conn.fetchval("SELECT reply FROM inbox WHERE consumer = $1 AND message_id = $2", consumer, message_id)
    return PAYLOAD_ADAPTER.validate_json(raw) if raw is not None else None


async def record_reply(conn: Conn, consumer: str, message_id: str, reply: Payload) -> None:
    await conn.execute(
        "UPDATE inbox SET reply = $3::jsonb WHERE consumer = $1 AND message_id = $2",
        consumer,
        message_id,
        PAYLOAD_ADAPTER.dump_json(reply).decode(),
    )
