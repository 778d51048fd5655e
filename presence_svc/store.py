"""SQL for `ven_presence`. Transitions are decided by the database row, so they happen once
however many presence_svc instances run and however often a batch is redelivered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from shared.contract.backend_events import PollSighting
from shared.db.connection import Conn


async def record_sightings(conn: Conn, sightings: Sequence[PollSighting]) -> list[tuple[str, datetime]]:
    """Upsert last-seen times; return (ven_id, last_seen) of VENs that came online with this batch."""
    rows = await conn.fetch(
        """
        WITH incoming AS (
            SELECT ven_id, max(seen_at) AS seen_at
            FROM unnest($1::text[], $2::timestamptz[]) AS t(ven_id, seen_at)
            GROUP BY ven_id
        )
        INSERT INTO ven_presence AS p (ven_id, last_seen, online, changed_at)
        SELECT ven_id, seen_at, true, now() FROM incoming
        ORDER BY ven_id
        ON CONFLICT (ven_id) DO UPDATE SET
            last_seen = GREATEST(p.last_seen, EXCLUDED.last_seen),
            online = true,
            changed_at = CASE WHEN p.online THEN p.changed_at ELSE now() END
        RETURNING ven_id, last_seen, changed_at = now() AS became_online
        """,
        [s.ven_id for s in sightings],
        [s.seen_at for s in sightings],
    )
    return [(row["ven_id"], row["last_seen"]) for row in rows if row["became_online"]]


async def mark_silent_offline(conn: Conn, silence_seconds: float) -> list[tuple[str, datetime]]:
    """Flip VENs silent for longer than `silence_seconds` to offline; return (ven_id, last_seen) of each.
    Push VENs are not judged by silence (they poll nothing and may have nothing to say for hours), but by
    whether the pusher reaches them (`mark_unreachable_offline`)."""
    rows = await conn.fetch(
        """
        UPDATE ven_presence SET online = false, changed_at = now()
        WHERE ven_id IN (
            SELECT p.ven_id FROM ven_presence p
            WHERE p.online AND p.last_seen < now() - make_interval(secs => $1)
              AND NOT EXISTS (SELECT 1 FROM push_vens v WHERE v.ven_id = p.ven_id)
            ORDER BY p.ven_id
            FOR UPDATE OF p SKIP LOCKED
        )
        RETURNING ven_id, last_seen
        """,
        silence_seconds,
    )
    return [(row["ven_id"], row["last_seen"]) for row in rows]


async def record_history(conn: Conn, online: bool, changes: Sequence[tuple[str, datetime]]) -> None:
    """Note each transition in the VEN's online history, in the transaction that decided it."""
    if changes:
        await conn.execute(
            """
            INSERT INTO ven_presence_history (ven_id, online, last_seen, changed_at)
            SELECT ven_id, $1, last_seen, now() FROM unnest($2::text[], $3::timestamptz[]) AS t(ven_id, last_seen)
            """,
            online,
            [ven_id for ven_id, _ in changes],
            [last_seen for _, last_seen in changes],
        )


async def purge_history_batch(conn: Conn, keep_days: float, batch: int) -> int:
    """Delete up to `batch` history rows older than `keep_days`; return how many went."""
    result = await conn.execute(
        """
        DELETE FROM ven_presence_history WHERE id IN (
            SELECT id FROM ven_presence_history WHERE changed_at < now() - $1::float8 * interval '1 day'
            ORDER BY changed_at LIMIT $2
        )
        """,
        keep_days,
        batch,
    )
    return int(result.split()[-1])


async def mark_unreachable_offline(conn: Conn, ven_id: str, since: datetime) -> list[tuple[str, datetime]]:
    """A push VEN the pusher has not reached since `since` goes offline, unless it was seen after that (its
    own requests still arrive); returns (ven_id, last_seen) when it went offline now."""
    rows = await conn.fetch(
        """
        UPDATE ven_presence SET online = false, changed_at = now()
        WHERE ven_id = $1 AND online AND last_seen < $2
        RETURNING ven_id, last_seen
        """,
        ven_id,
        since,
    )
    return [(row["ven_id"], row["last_seen"]) for row in rows]
