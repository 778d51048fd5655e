"""The pending queue as the pusher reads it: per push VEN, its next message and where to push it.

A message stays undelivered while it is pushed: registration_svc marks it delivered when the pusher reports
the VEN's answer handled (`PendingDelivered`, shared.db.pending.mark_delivered). Until that record is applied
the pusher leaves out the messages it delivered (`unmarked`), so it never pushes one twice, and learns which
of them are still unmarked; after a crash the next owner starts from what the database says is undelivered.
The head is the oldest undelivered message by id, not "the next after the last delivered": two transactions
queueing for one VEN may commit in the other order than their ids, and a message committed late behind one
already pushed must still go out (as a poll would take it).
Reads are made for many VENs at once: one statement whatever the number of VENs woken together, and an event
set shared by many of them (one body, shared.oadr.event_sets) is parsed once per read, not once per VEN; the
heads it gives carry the set (`PushHead.shared_set`), so that the deliverer writes each VEN's document from
the set's one rendering without working out again which set the message is a copy of. Each
deliverer reads the VENs of its transport only: simpleHttp push VENs for the pusher, xmpp VENs for the XMPP
connector (the push_vens view names both).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.db.connection import Conn
from shared.oadr.event_sets import SharedEventSet, stored_set
from shared.oadr.messages import VTN_MESSAGE_ADAPTER, VtnMessage
from shared.oadr.profiles import OadrProfile
from shared.oadr.registration import TRANSPORT_SIMPLE_HTTP


@dataclass(frozen=True)
class PushHead:
    """A push VEN's next message (None: nothing waits but what was left out), its transport address, the
    fingerprint of the certificate it registered with (None without TLS), which of the messages left out are
    still not marked delivered, its OpenADR profile (the one its pushes are written in), and, when the message is
    a VEN's copy of a stored shared set, that set (`message` is `shared_set.message(ven_id, request_id)`; one
    object for all the heads of a read that share it)."""

    ven_id: str
    transport_address: str | None
    fingerprint: str | None
    pending_id: int | None
    message: VtnMessage | None
    unmarked: frozenset[int] = frozenset()
    profile: str = OadrProfile.B
    shared_set: SharedEventSet | None = None


async def heads(
    conn: Conn, delivered: Mapping[str, Collection[int]], transport: str = TRANSPORT_SIMPLE_HTTP
) -> dict[str, PushHead]:
    """For each VEN of `delivered` whose messages are pushed over `transport` (the push_vens view), its oldest
    undelivered message other than those given (delivered by this pusher, their marks not yet seen). VENs that
    are not (or no longer) pushed over that transport are absent."""
    if not delivered:
        return {}
    left_out = [(ven_id, pending_id) for ven_id, ids in delivered.items() for pending_id in ids]
    rows = await conn.fetch(
        """
        WITH w AS (SELECT unnest($1::text[]) AS ven_id),
        left_out AS (SELECT * FROM unnest($2::text[], $3::bigint[]) AS l(ven_id, id))
        SELECT v.ven_id, v.transport_address, v.fingerprint, v.profile_name, m.id, m.message, m.body_id,
               m.request_id, (SELECT b.message FROM pending_bodies b WHERE b.id = m.body_id) AS body,
               ARRAY(
                   SELECT p.id FROM pending_messages p JOIN left_out l ON l.id = p.id
                   WHERE l.ven_id = w.ven_id AND p.ven_id = w.ven_id AND p.delivered_at IS NULL
               ) AS unmarked
        FROM w JOIN push_vens v ON v.ven_id = w.ven_id AND v.transport_name = $4
        LEFT JOIN LATERAL (
            SELECT q.id, q.message::text AS message, q.body_id, q.request_id FROM pending_messages q
            WHERE q.ven_id = w.ven_id AND q.delivered_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM left_out l WHERE l.id = q.id)
            ORDER BY q.id LIMIT 1
        ) m ON true
        """,
        list(delivered),
        [ven_id for ven_id, _ in left_out],
        [pending_id for _, pending_id in left_out],
        transport,
    )
    return heads_of(rows)


def heads_of(rows: Iterable[asyncpg.Record | Mapping[str, Any]]) -> dict[str, PushHead]:
    """The heads of `heads`' rows: a message of its own parsed as it is, a copy of a shared set made from the
    set, each set parsed once (shared.db.pending.message_text fills the same marks in SQL for other readers)."""
    sets: dict[int, SharedEventSet] = {}
    found = {}
    for row in rows:
        message: VtnMessage | None = None
        shared: SharedEventSet | None = None
        if row["body_id"] is not None:
            shared = sets.get(row["body_id"])
            if shared is None:
                shared = sets[row["body_id"]] = stored_set(row["body"])
            message = shared.message(row["ven_id"], row["request_id"])
        elif row["message"] is not None:
            message = VTN_MESSAGE_ADAPTER.validate_json(row["message"])
        found[row["ven_id"]] = PushHead(
            ven_id=row["ven_id"],
            transport_address=row["transport_address"],
            fingerprint=row["fingerprint"],
            pending_id=row["id"],
            message=message,
            unmarked=frozenset(row["unmarked"]),
            profile=row["profile_name"],
            shared_set=shared,
        )
    return found


async def backlogs(conn: Conn, transport: str = TRANSPORT_SIMPLE_HTTP) -> dict[str, int]:
    """Every VEN pushed over `transport` with messages waiting, and how many."""
    rows = await conn.fetch(
        """
        SELECT m.ven_id, count(*) AS waiting
        FROM pending_messages m JOIN push_vens v ON v.ven_id = m.ven_id AND v.transport_name = $1
        WHERE m.delivered_at IS NULL
        GROUP BY m.ven_id
        """,
        transport,
    )
    return {row["ven_id"]: int(row["waiting"]) for row in rows}
