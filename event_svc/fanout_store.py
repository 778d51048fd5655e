"""The event changes whose VENs' sets are still to be queued (table event_fanouts): SQL only.

A change writes one row in its own transaction (`add`); the fan-out takes the oldest rows, locked so that
another instance skips them (`take`), and deletes them in the transaction that queues the sets (`done`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from shared.db.connection import Conn
from shared.oadr.target import Target


@dataclass(frozen=True)
class Fanout:
    id: int
    event_id: str
    targets: tuple[Target, ...]


async def add(conn: Conn, event_id: str, targets: Sequence[Target]) -> None:
    """Note that the VENs `targets` reach need their sets queued again (the event's targets now and before)."""
    await add_many(conn, [(event_id, targets)])


async def add_many(conn: Conn, changes: Sequence[tuple[str, Sequence[Target]]]) -> None:
    """`add` for several changed events (eventID, its targets now and before), in one statement."""
    await conn.execute(
        "INSERT INTO event_fanouts (event_id, targets) SELECT * FROM unnest($1::text[], $2::jsonb[])",
        [event_id for event_id, _ in changes],
        [json.dumps([t.model_dump(mode="json") for t in dict.fromkeys(targets)]) for _, targets in changes],
    )


async def take(conn: Conn, limit: int) -> list[Fanout]:
    """The oldest pending fan-outs, at most `limit`, locked for this transaction (other instances skip them)."""
    rows = await conn.fetch(
        "SELECT id, event_id, targets::text FROM event_fanouts ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", limit
    )
    return [
        Fanout(row["id"], row["event_id"], tuple(Target.model_validate(t) for t in json.loads(row["targets"])))
        for row in rows
    ]


async def done(conn: Conn, ids: Sequence[int]) -> None:
    await conn.execute("DELETE FROM event_fanouts WHERE id = ANY($1::bigint[])", list(ids))
