"""Where each VEN's event set stands in waiting for the VEN's answers (event_svc.answer_waits.decisions): the sets due
for a look, the answers stored for their events, and what each look decided (migration 0010). What a set
awaits is written with the set itself (event_svc.store.save_ven_sets)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from event_svc.answer_waits.decisions import Awaited
from shared.db.connection import Conn


@dataclass(frozen=True)
class WaitingSet:
    """The set last queued for a VEN: the answers it awaits, when it went out (None: still queued), and how often
    it was sent again."""

    ven_id: str
    awaited: list[Awaited]
    sent_at: datetime | None
    resends: int
    ven_registered: bool


async def due_sets(conn: Conn, now: datetime, limit: int) -> list[WaitingSet]:
    """Up to `limit` sets due for a look by `now` (oldest first), locked until the caller's transaction ends
    (other instances skip them). A set went out when a poll took its queued copy; when it went out in an HTTP
    answer (oadrRequestEvent) or its copy was purged, when it was saved."""
    rows = await conn.fetch(
        """
        SELECT s.ven_id, s.awaited::text AS awaited, s.resends,
            CASE WHEN p.id IS NULL THEN s.updated_at ELSE p.delivered_at END AS sent_at,
            EXISTS (SELECT 1 FROM vens v WHERE v.ven_id = s.ven_id AND registration_staying(v.status)) AS ven_registered
        FROM ven_event_sets s
        LEFT JOIN pending_messages p ON p.ven_id = s.ven_id AND p.dedup_key = 'events:' || s.version
        WHERE s.confirm_by <= $1
        ORDER BY s.confirm_by
        LIMIT $2
        FOR UPDATE OF s SKIP LOCKED
        """,
        now,
        limit,
    )
    return [
        WaitingSet(
            ven_id=row["ven_id"],
            awaited=[(str(event_id), int(modification)) for event_id, modification in json.loads(row["awaited"])],
            sent_at=row["sent_at"],
            resends=row["resends"],
            ven_registered=row["ven_registered"],
        )
        for row in rows
    ]


async def answered(conn: Conn, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(venID, eventID) -> the modificationNumber of the VEN's stored answer to the event, for those answered."""
    if not pairs:
        return {}
    rows = await conn.fetch(
        """
        SELECT r.ven_id, r.event_id, r.modification_number
        FROM unnest($1::text[], $2::text[]) AS k(ven_id, event_id)
        JOIN event_responses r ON r.event_id = k.event_id AND r.ven_id = k.ven_id
        """,
        [ven_id for ven_id, _ in pairs],
        [event_id for _, event_id in pairs],
    )
    return {(row["ven_id"], row["event_id"]): row["modification_number"] for row in rows}


async def settle(conn: Conn, ven_ids: Sequence[str]) -> None:
    if ven_ids:
        await conn.execute("UPDATE ven_event_sets SET confirm_by = NULL WHERE ven_id = ANY($1::text[])", list(ven_ids))


async def look_again(conn: Conn, looks: Sequence[tuple[str, datetime]]) -> None:
    """Each (venID, when to look at its set next)."""
    if looks:
        await conn.execute(
            "UPDATE ven_event_sets s SET confirm_by = l.at FROM unnest($1::text[], $2::timestamptz[]) AS l(ven_id, at)"
            " WHERE s.ven_id = l.ven_id",
            [ven_id for ven_id, _ in looks],
            [at for _, at in looks],
        )


async def sent_again(conn: Conn, resent: Sequence[tuple[str, int]], look_at: datetime) -> None:
    """Each (venID, times its set has now been sent again), to look at again at `look_at`."""
    if resent:
        await conn.execute(
            "UPDATE ven_event_sets s SET resends = r.resends, confirm_by = $3, unconfirmed_at = NULL"
            " FROM unnest($1::text[], $2::int[]) AS r(ven_id, resends) WHERE s.ven_id = r.ven_id",
            [ven_id for ven_id, _ in resent],
            [resends for _, resends in resent],
            look_at,
        )


async def give_up(conn: Conn, ven_ids: Sequence[str], now: datetime) -> None:
    if ven_ids:
        await conn.execute(
            "UPDATE ven_event_sets SET confirm_by = NULL, unconfirmed_at = $2 WHERE ven_id = ANY($1::text[])",
            list(ven_ids),
            now,
        )
