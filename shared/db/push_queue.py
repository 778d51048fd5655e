"""The pending queue as the pusher reads it: per push VEN, its next message and where to push it.

A message stays undelivered while it is pushed: registration_svc marks it delivered when the pusher reports
the VEN's answer handled (`PendingDelivered`, shared.db.pending.mark_delivered). Until that record is applied
the pusher asks for the first message after the one it last delivered (`after`), so it never pushes one
twice in a row, and after a crash the next owner starts from what the database says is undelivered.
Reads are made for many VENs at once: one statement whatever the number of VENs woken together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.db.connection import Conn
from shared.oadr.messages import VTN_MESSAGE_ADAPTER, VtnMessage


@dataclass(frozen=True)
class PushHead:
    """A push VEN's next message (None: nothing waits after `after`), its transport address and the
    fingerprint of the certificate it registered with (None without TLS)."""

    ven_id: str
    transport_address: str | None
    fingerprint: str | None
    pending_id: int | None
    message: VtnMessage | None


async def heads(conn: Conn, after: Mapping[str, int | None]) -> dict[str, PushHead]:
    """For each VEN of `after` whose messages are pushed (the push_vens view), its first undelivered message
    with an id above the one given. VENs that are not (or no longer) push VENs are absent."""
    if not after:
        return {}
    rows = await conn.fetch(
        """
        SELECT v.ven_id, v.transport_address, v.fingerprint, m.id, m.message::text AS message
        FROM unnest($1::text[], $2::bigint[]) AS w(ven_id, after_id)
        JOIN push_vens v ON v.ven_id = w.ven_id
        LEFT JOIN LATERAL (
            SELECT id, message FROM pending_messages
            WHERE ven_id = w.ven_id AND delivered_at IS NULL AND id > COALESCE(w.after_id, 0)
            ORDER BY id LIMIT 1
        ) m ON true
        """,
        list(after),
        list(after.values()),
    )
    return {
        row["ven_id"]: PushHead(
            ven_id=row["ven_id"],
            transport_address=row["transport_address"],
            fingerprint=row["fingerprint"],
            pending_id=row["id"],
            message=VTN_MESSAGE_ADAPTER.validate_json(row["message"]) if row["message"] is not None else None,
        )
        for row in rows
    }


async def backlogs(conn: Conn) -> dict[str, int]:
    """Every push VEN with messages waiting, and how many."""
    rows = await conn.fetch(
        """
        SELECT m.ven_id, count(*) AS waiting
        FROM pending_messages m JOIN push_vens v ON v.ven_id = m.ven_id
        WHERE m.delivered_at IS NULL
        GROUP BY m.ven_id
        """
    )
    return {row["ven_id"]: int(row["waiting"]) for row in rows}
