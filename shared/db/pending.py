"""The pending-message queue: what a VEN gets on its next oadrPoll, in order, for every service.

`enqueue` writes the message and a `VenChanged` notice (through the outbox) in the caller's transaction,
so every gateway instance stops answering that VEN's polls from its cache. `take_next` hands out the
oldest undelivered message, marking it delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.db.connection import Conn

from shared import topics
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenChanged
from shared.db import outbox
from shared.oadr.messages import VTN_MESSAGE_ADAPTER, VtnMessage


@dataclass(frozen=True)
class PendingMessage:
    id: int
    ven_id: str
    message: VtnMessage


async def enqueue(conn: Conn, ven_id: str, message: VtnMessage, dedup_key: str | None = None) -> bool:
    """Queue `message` for `ven_id`; False when a message with the same dedup key is already queued."""
    inserted = await conn.fetchval(
        """
        INSERT INTO pending_messages (ven_id, message_type, message, dedup_key)
        VALUES ($1, $2, $3::jsonb, $4)
        ON CONFLICT (ven_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
        RETURNING true
        """,
        ven_id,
        message.message_type,
        VTN_MESSAGE_ADAPTER.dump_json(message).decode(),
        dedup_key,
    )
    if inserted:
        await notify_ven_changed(conn, ven_id, f"pending {message.message_type}")
    return bool(inserted)


async def notify_ven_changed(conn: Conn, ven_id: str, reason: str) -> None:
    await outbox.add(conn, topics.VEN_CHANGES, Envelope(ven_id=ven_id, payload=VenChanged(ven_id=ven_id, reason=reason)))


async def take_next(conn: Conn, ven_id: str) -> PendingMessage | None:
    row = await conn.fetchrow(
        """
        UPDATE pending_messages SET delivered_at = now()
        WHERE id = (
            SELECT id FROM pending_messages
            WHERE ven_id = $1 AND delivered_at IS NULL
            ORDER BY id LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
        RETURNING id, ven_id, message
        """,
        ven_id,
    )
    if row is None:
        return None
    return PendingMessage(id=row["id"], ven_id=row["ven_id"], message=VTN_MESSAGE_ADAPTER.validate_json(row["message"]))


async def count_undelivered(conn: Conn, ven_id: str) -> int:
    return int(
        await conn.fetchval("SELECT count(*) FROM pending_messages WHERE ven_id = $1 AND delivered_at IS NULL", ven_id)
    )


async def purge_delivered(conn: Conn, older_than_days: int) -> None:
    """Delivered messages are kept for audit for a while, then removed."""
    await conn.execute(
        "DELETE FROM pending_messages WHERE delivered_at < now() - make_interval(days => $1)", older_than_days
    )
