"""Idempotent handling: the first handling of a message id records its reply; a redelivery gets it back.

Used inside the handler's transaction, so the inbox row, the state change and the outbox records commit
together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.contract.envelope import PAYLOAD_ADAPTER, Payload
from shared.db.connection import Conn


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


async def claim_many(conn: Conn, consumer: str, message_ids: Sequence[str]) -> set[str]:
    """`claim` for many message ids in one statement: those new for this consumer (now claimed)."""
    rows = await conn.fetch(
        """
        INSERT INTO inbox (consumer, message_id) SELECT $1, message_id FROM unnest($2::text[]) AS message_id
        ON CONFLICT DO NOTHING RETURNING message_id
        """,
        consumer,
        sorted(set(message_ids)),
    )
    return {row["message_id"] for row in rows}


async def stored_replies(conn: Conn, consumer: str, message_ids: Sequence[str]) -> dict[str, Payload | None]:
    """`stored_reply` for many message ids (handled before) in one query."""
    rows = await conn.fetch(
        "SELECT message_id, reply FROM inbox WHERE consumer = $1 AND message_id = ANY($2::text[])",
        consumer,
        sorted(set(message_ids)),
    )
    return {
        row["message_id"]: PAYLOAD_ADAPTER.validate_json(row["reply"]) if row["reply"] is not None else None
        for row in rows
    }


async def record_replies(conn: Conn, consumer: str, replies: Sequence[tuple[str, Payload]]) -> None:
    """`record_reply` for many messages claimed in this transaction, in one statement."""
    if not replies:
        return
    await conn.execute(
        """
        UPDATE inbox AS i SET reply = r.reply::jsonb
        FROM unnest($2::text[], $3::text[]) AS r(message_id, reply)
        WHERE i.consumer = $1 AND i.message_id = r.message_id
        """,
        consumer,
        [message_id for message_id, _ in replies],
        [PAYLOAD_ADAPTER.dump_json(reply).decode() for _, reply in replies],
    )
