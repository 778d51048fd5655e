"""The pending-message queue: what a VEN gets on its next oadrPoll, in order, for every service.

`enqueue` writes the message and a `VenChanged` notice (through the outbox) in the caller's transaction,
so every gateway instance stops answering that VEN's polls from its cache. On a poll a gateway forwards,
registration_svc takes the oldest undelivered message, marking it delivered (`take_for_poll` in one
statement; `take_next` inside a transaction for messages that also change the registration).

Fast path for bursts: when the queued message is the VEN's only undelivered one and of a kind whose repeat
is harmless (`HANDOUT_TYPES`), the notice carries it as a `handout`. Gateways then answer the VEN's next
poll with it themselves and report a `PendingDelivered` on the poll-requests topic with the VEN's key, so
registration_svc records it (`mark_delivered`) before it handles any later forwarded poll of that VEN. An
event for thousands of VENs so costs no Kafka round trip per VEN. Two enqueues for one VEN racing in
separate transactions may both offer a handout; `mark_delivered` answers that by telling the gateways to
ask again whenever something is still waiting.

Event sets for many VENs (`enqueue_event_sets`): the VENs that share one set (shared.oadr.event_sets) have
their messages written from one JSON text made once, and their handouts travel together, one
`EventSetHandouts` notice per partition of the notice topic, so a gateway renders the set once. The stored
text is the message before rendering, the same for every profile: each recipient is named with its VEN's
profile, and a gateway renders a 2.0a VEN's copy in 2.0a.

A message a poll took but the VEN never got (the answer reached the gateway after it had answered 503, or
the VEN had hung up) is put back (`put_back`) when the gateway says so, unless a later message has gone out
since.

Push VENs (the `push_vens` view: registered with oadrHttpPullModel false) use the same queue: their notices
say `push`, so that the pusher owning the VEN POSTs what waits (gateway.push, reading shared.db.push_queue),
and report each message the VEN answered with a `PendingDelivered`, as a handout is. Their messages are never
handed out on a poll, and their polls take nothing (`take_for_poll`): one queue, one deliverer per VEN.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared import topics
from shared.bus.partitioner import partition_for
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import EventSetHandouts, PendingHandout, SetRecipient, VenChanged
from shared.db import outbox
from shared.db.connection import Conn
from shared.oadr.event_sets import REQUEST_MARK_JSON, VEN_MARK_JSON, SharedEventSet
from shared.oadr.messages import VTN_MESSAGE_ADAPTER, VtnMessage
from shared.oadr.profiles import OadrProfile

# The reason of a notice that a push VEN was seen alive again: its pusher retries at once, not after its backoff.
CAME_ONLINE = "came online"

# Message types a gateway may hand out from a notice: a VEN receiving one twice loses nothing (its full
# set of events; the VTN's report METADATA, which every VEN gets after registering).
HANDOUT_TYPES = frozenset({"oadrDistributeEvent", "oadrRegisterReport"})
# Recipients of one shared set per notice, at most: a notice stays far below Kafka's 1 MiB record limit.
SET_RECIPIENTS_PER_NOTICE = 500


@dataclass(frozen=True)
class PendingMessage:
    id: int
    ven_id: str
    message: VtnMessage


async def enqueue(conn: Conn, ven_id: str, message: VtnMessage, dedup_key: str | None = None) -> int | None:
    """Queue `message` for `ven_id`: its id in the queue, or None when a message with the same dedup key is
    already queued."""
    queued = await _enqueue(conn, [(ven_id, message, dedup_key)])
    return queued[0][0] if queued else None


async def enqueue_many(conn: Conn, messages: list[tuple[str, VtnMessage, str | None]]) -> list[str]:
    """Queue many (venID, message, dedup key) with one INSERT and one batch of notices. Returns the venIDs
    whose message was queued (not already there under the same dedup key)."""
    return [ven_id for _, ven_id in await _enqueue(conn, messages)]


async def _enqueue(conn: Conn, messages: list[tuple[str, VtnMessage, str | None]]) -> list[tuple[int, str]]:
    """The (id, venID) of each message queued. The ids are drawn in the messages' order before the insert, so
    that each one queued is known by its position: its handout is the message in hand, not its stored JSON
    read back and parsed again."""
    if not messages:
        return []
    rows = await conn.fetch(
        """
        WITH given AS (
            SELECT nextval('pending_messages_id_seq') AS id, m.*
            FROM (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY
                    AS m(ven_id, message_type, message, dedup_key, position)
                ORDER BY position
            ) m
        ),
        queued AS (
            INSERT INTO pending_messages (id, ven_id, message_type, message, dedup_key)
            SELECT id, ven_id, message_type, message::jsonb, dedup_key FROM given ORDER BY id
            ON CONFLICT (ven_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
            RETURNING id
        )
        SELECT queued.id, given.position,
               EXISTS (SELECT 1 FROM push_vens p WHERE p.ven_id = given.ven_id) AS pushed
        FROM queued JOIN given USING (id) ORDER BY given.position
        """,
        [ven_id for ven_id, _, _ in messages],
        [message.message_type for _, message, _ in messages],
        [VTN_MESSAGE_ADAPTER.dump_json(message).decode() for _, message, _ in messages],
        [dedup_key for _, _, dedup_key in messages],
    )
    queued: list[tuple[int, str, VtnMessage, bool]] = []
    for row in rows:
        ven_id, message, _ = messages[row["position"] - 1]
        queued.append((int(row["id"]), ven_id, message, bool(row["pushed"])))
    if not queued:
        return []
    only_waiting = await _only_undelivered(conn, [ven_id for _, ven_id, _, _ in queued])
    notices = []
    for pending_id, ven_id, message, pushed in queued:
        handout = None
        only = only_waiting.get(ven_id)
        if not pushed and message.message_type in HANDOUT_TYPES and only is not None and only[0] == pending_id:
            handout = PendingHandout(pending_id=pending_id, message=message, profile=OadrProfile(only[1]))
        notices.append(
            Envelope(
                ven_id=ven_id,
                payload=VenChanged(
                    ven_id=ven_id, reason=f"pending {message.message_type}", handout=handout, push=pushed
                ),
            )
        )
    await outbox.add_many(conn, topics.VEN_CHANGES, notices)
    return [(pending_id, ven_id) for pending_id, ven_id, _, _ in queued]


@dataclass(frozen=True)
class SetCopy:
    """One VEN's copy of a shared event set: its requestID and the dedup key it is queued under."""

    ven_id: str
    request_id: str
    dedup_key: str


async def enqueue_event_sets(
    conn: Conn, sets: Sequence[tuple[SharedEventSet, Sequence[SetCopy]]], notice_partitions: int
) -> list[str]:
    """Queue each shared set's oadrDistributeEvent for each of its copies, with one INSERT. A VEN for which it
    is now the only message waiting gets it as a handout: one `EventSetHandouts` per set and partition of the
    notice topic (`notice_partitions` of them); any other VEN a plain notice (a push VEN's says `push`, for its
    pusher). Returns the venIDs queued (a copy whose dedup key is already queued for the VEN is left out)."""
    copies = [(number, copy) for number, (_, of_set) in enumerate(sets) for copy in of_set]
    if not copies:
        return []
    bodies = await _store_bodies(conn, [shared.body_json if of_set else None for shared, of_set in sets])
    # A VEN has one copy here, and the subqueries of RETURNING do not see the rows the statement inserts: a
    # VEN with no other undelivered message is one whose copy is now its only one (a handout).
    rows = await conn.fetch(
        """
        INSERT INTO pending_messages (ven_id, message_type, message, body_id, request_id, dedup_key)
        SELECT ven_id, 'oadrDistributeEvent', message::jsonb, body_id, request_id, dedup_key
        FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY
             AS m(ven_id, message, body_id, request_id, dedup_key, position)
        ORDER BY position
        ON CONFLICT (ven_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
        RETURNING id, ven_id, dedup_key,
                  EXISTS (SELECT 1 FROM push_vens p WHERE p.ven_id = pending_messages.ven_id) AS pushed,
                  NOT EXISTS (
                      SELECT 1 FROM pending_messages o
                      WHERE o.ven_id = pending_messages.ven_id AND o.delivered_at IS NULL
                  ) AS alone,
                  COALESCE((SELECT v.profile_name FROM vens v WHERE v.ven_id = pending_messages.ven_id), $6) AS profile
        """,
        [copy.ven_id for _, copy in copies],
        [
            None if bodies[n] is not None else sets[n][0].message(copy.ven_id, copy.request_id).model_dump_json()
            for n, copy in copies
        ],
        [bodies[n] for n, _ in copies],
        [copy.request_id for _, copy in copies],
        [copy.dedup_key for _, copy in copies],
        OadrProfile.B.value,
    )
    queued = {(row["ven_id"], row["dedup_key"]): int(row["id"]) for row in rows}
    pushed = {row["ven_id"] for row in rows if row["pushed"]}
    copies_of = Counter(copy.ven_id for _, copy in copies)
    only_waiting = {
        row["ven_id"]: (int(row["id"]), row["profile"])
        for row in rows
        if row["alone"] and copies_of[row["ven_id"]] == 1
    }
    handouts: dict[tuple[int, int], list[SetRecipient]] = {}
    notices: list[Envelope] = []
    for number, (_shared, of_set) in enumerate(sets):
        for copy in of_set:
            pending_id = queued.get((copy.ven_id, copy.dedup_key))
            if pending_id is None:
                continue
            only = only_waiting.get(copy.ven_id)
            if copy.ven_id in pushed or only is None or only[0] != pending_id:
                reason, push = "pending oadrDistributeEvent", copy.ven_id in pushed
                notices.append(
                    Envelope(ven_id=copy.ven_id, payload=VenChanged(ven_id=copy.ven_id, reason=reason, push=push))
                )
                continue
            partition = partition_for(copy.ven_id.encode(), range(notice_partitions), ())
            recipient = SetRecipient(
                ven_id=copy.ven_id, pending_id=pending_id, request_id=copy.request_id, profile=OadrProfile(only[1])
            )
            handouts.setdefault((number, partition), []).append(recipient)
    for (number, _), recipients in handouts.items():
        shared = sets[number][0]
        for start in range(0, len(recipients), SET_RECIPIENTS_PER_NOTICE):
            chunk = tuple(recipients[start : start + SET_RECIPIENTS_PER_NOTICE])
            handout = EventSetHandouts(
                set_id=shared.set_id, vtn_id=shared.vtn_id, events=shared.events, recipients=chunk
            )
            notices.append(Envelope(ven_id=chunk[0].ven_id, payload=handout))
    await outbox.add_many(conn, topics.VEN_CHANGES, notices)
    return [ven_id for ven_id, _ in queued]


async def _store_bodies(conn: Conn, bodies: Sequence[str | None]) -> list[int | None]:
    """Store each body (None: none), once; the id of each, in order."""
    wanted = [body for body in bodies if body is not None]
    if not wanted:
        return [None] * len(bodies)
    ids = iter(
        await conn.fetchval(
            "SELECT array_agg(nextval(pg_get_serial_sequence('pending_bodies', 'id'))) FROM generate_series(1, $1)",
            len(wanted),
        )
    )
    stored = [(next(ids), body) if body is not None else (None, None) for body in bodies]
    await conn.execute(
        "INSERT INTO pending_bodies (id, message) SELECT * FROM unnest($1::bigint[], $2::text[])",
        [body_id for body_id, body in stored if body is not None],
        [body for _, body in stored if body is not None],
    )
    return [body_id for body_id, _ in stored]


async def _only_undelivered(conn: Conn, ven_ids: list[str]) -> dict[str, tuple[int, str]]:
    """For each VEN with exactly one undelivered message (as this transaction sees it), that message's id and
    the VEN's profile (the one the message is rendered in)."""
    rows = await conn.fetch(
        """
        SELECT p.ven_id, min(p.id) AS only_id,
               COALESCE((SELECT v.profile_name FROM vens v WHERE v.ven_id = p.ven_id), $2) AS profile
        FROM pending_messages p
        WHERE p.ven_id = ANY($1::text[]) AND p.delivered_at IS NULL
        GROUP BY p.ven_id HAVING count(*) = 1
        """,
        sorted(set(ven_ids)),
        OadrProfile.B.value,
    )
    return {row["ven_id"]: (int(row["only_id"]), row["profile"]) for row in rows}


async def notify_ven_changed(conn: Conn, ven_id: str, reason: str) -> None:
    """Tell every gateway to forget the VEN's cached answers; for a push VEN, also its pusher to look again."""
    pushed = bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM push_vens WHERE ven_id = $1)", ven_id))
    notice = VenChanged(ven_id=ven_id, reason=reason, push=pushed)
    await outbox.add(conn, topics.VEN_CHANGES, Envelope(ven_id=ven_id, payload=notice))


async def wake_pushers(conn: Conn, ven_ids: Collection[str], reason: str) -> list[str]:
    """Tell the pushers to look again at those of `ven_ids` whose messages are pushed (e.g. a VEN seen alive
    again while its pusher waits to retry); returns those VENs."""
    if not ven_ids:
        return []
    rows = await conn.fetch("SELECT ven_id FROM push_vens WHERE ven_id = ANY($1::text[])", sorted(set(ven_ids)))
    pushed = [row["ven_id"] for row in rows]
    notices = [Envelope(ven_id=v, payload=VenChanged(ven_id=v, reason=reason, push=True)) for v in pushed]
    await outbox.add_many(conn, topics.VEN_CHANGES, notices)
    return pushed


def message_text(row: str) -> str:
    """SQL for the JSON text of the pending message `row` (a table alias): its own message, or its shared
    body's with its venID and requestID filled in (shared.oadr.event_sets.fill_body, done in SQL). Every
    reader of a pending message reads it through this, but the pusher's head reads (shared.db.push_queue),
    which parse each body once and make each VEN's copy from the set."""
    return f"""
        CASE WHEN {row}.body_id IS NULL THEN {row}.message::text
        ELSE replace(
            replace((SELECT b.message FROM pending_bodies b WHERE b.id = {row}.body_id),
                    '{VEN_MARK_JSON}', to_json({row}.ven_id)::text),
            '{REQUEST_MARK_JSON}', to_json({row}.request_id)::text)
        END"""


async def take_next(conn: Conn, ven_id: str) -> PendingMessage | None:
    row = await conn.fetchrow(
        f"""
        UPDATE pending_messages p SET delivered_at = now()
        WHERE id = (
            SELECT id FROM pending_messages
            WHERE ven_id = $1 AND delivered_at IS NULL
            ORDER BY id LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
        RETURNING id, ven_id, {message_text("p")} AS message
        """,
        ven_id,
    )
    if row is None:
        return None
    return PendingMessage(id=row["id"], ven_id=row["ven_id"], message=VTN_MESSAGE_ADAPTER.validate_json(row["message"]))


@dataclass(frozen=True)
class PollTake:
    """What one poll found: whether the VEN is known and its registration in force, its profile, the message it
    takes (None: nothing, or a head that `take_for_poll` may not take), the type of its queue's head, and whether
    the VEN's messages are pushed (then a poll takes none)."""

    known: bool
    in_force: bool
    message: VtnMessage | None
    head_type: str | None
    pending_id: int | None = None
    ven_profile: str | None = None
    pushed: bool = False


async def take_for_poll(conn: Conn, ven_id: str, excluded_types: Iterable[str], profile: str) -> PollTake:
    """In one statement: whether the VEN is known and registered, its profile and, if its registration is in
    force, it is of `profile` (the poll's) and its messages are not pushed, its oldest undelivered message marked
    delivered, unless that message's type is in `excluded_types` (left for the caller)."""
    return (await take_for_polls(conn, [(ven_id, profile)], excluded_types))[ven_id]


async def take_for_polls(
    conn: Conn, polls: Sequence[tuple[str, str]], excluded_types: Iterable[str]
) -> dict[str, PollTake]:
    """`take_for_poll` for many polls, (venID, profile of the poll), one per VEN, in one statement."""
    ven_ids = [ven_id for ven_id, _ in polls]
    if len(set(ven_ids)) != len(ven_ids):
        raise ValueError("one poll per VEN in one take")
    rows = await conn.fetch(
        f"""
        WITH asked AS (SELECT * FROM unnest($1::text[], $3::text[]) AS a(ven_id, profile)),
        ven AS (
            SELECT a.ven_id, a.profile, v.ven_id IS NOT NULL AS known,
                   COALESCE(registration_in_force(v.status), false) AS in_force, v.profile_name,
                   EXISTS (SELECT 1 FROM push_vens p WHERE p.ven_id = a.ven_id) AS pushed
            FROM asked a LEFT JOIN vens v ON v.ven_id = a.ven_id
        ),
        head AS (
            SELECT a.ven_id, h.id, h.message_type FROM asked a
            CROSS JOIN LATERAL (
                SELECT id, message_type FROM pending_messages
                WHERE ven_id = a.ven_id AND delivered_at IS NULL
                ORDER BY id LIMIT 1
                FOR UPDATE SKIP LOCKED
            ) h
        ),
        taken AS (
            UPDATE pending_messages p SET delivered_at = now()
            FROM head JOIN ven ON ven.ven_id = head.ven_id
            WHERE p.id = head.id AND NOT (head.message_type = ANY($2::text[]))
              AND ven.in_force AND ven.profile_name = ven.profile AND NOT ven.pushed
            RETURNING p.id, p.ven_id, {message_text("p")} AS message
        )
        SELECT ven.ven_id, ven.known, ven.in_force, ven.profile_name AS profile, ven.pushed,
               taken.id AS taken_id, taken.message::text AS message, head.message_type AS head_type
        FROM ven LEFT JOIN head ON head.ven_id = ven.ven_id LEFT JOIN taken ON taken.ven_id = ven.ven_id
        """,
        ven_ids,
        sorted(excluded_types),
        [profile for _, profile in polls],
    )
    return {
        row["ven_id"]: PollTake(
            known=row["known"],
            in_force=row["in_force"],
            message=VTN_MESSAGE_ADAPTER.validate_json(row["message"]) if row["message"] is not None else None,
            head_type=row["head_type"],
            pending_id=row["taken_id"],
            ven_profile=row["profile"],
            pushed=row["pushed"],
        )
        for row in rows
    }


@dataclass(frozen=True)
class Delivered:
    """What recording a delivery found: the type of the message marked delivered now (None when it was
    already, or is gone), and whether the VEN's queue is empty."""

    message_type: str | None
    emptied: bool


@dataclass(frozen=True)
class DeliveredMany:
    """What recording many deliveries found: the (venID, type) of each message marked delivered now (not
    those that were already), and the VENs that still have messages waiting (their gateways and pushers were
    told to look again)."""

    marked: tuple[tuple[str, str], ...]
    waiting: frozenset[str]


async def mark_delivered(conn: Conn, ven_id: str, pending_id: int, delivered_at: datetime) -> Delivered:
    """Record a gateway's handout or a pusher's delivery of `pending_id` (idempotent). If other messages still
    wait for the VEN (queued by a transaction that raced the handout's, or behind a pushed one), tell the
    gateways and the pusher to look again."""
    found = await mark_delivered_many(conn, [(ven_id, pending_id, delivered_at)])
    message_type = found.marked[0][1] if found.marked else None
    return Delivered(message_type, emptied=ven_id not in found.waiting)


async def mark_delivered_many(conn: Conn, deliveries: Sequence[tuple[str, int, datetime]]) -> DeliveredMany:
    """`mark_delivered` for many (venID, pending id, delivered at) in two statements and one batch of
    notices."""
    if not deliveries:
        return DeliveredMany(marked=(), waiting=frozenset())
    marked = await conn.fetch(
        """
        UPDATE pending_messages AS p SET delivered_at = d.delivered_at
        FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS d(id, ven_id, delivered_at)
        WHERE p.id = d.id AND p.ven_id = d.ven_id AND p.delivered_at IS NULL
        RETURNING p.id, p.ven_id, p.message_type
        """,
        [pending_id for _, pending_id, _ in deliveries],
        [ven_id for ven_id, _, _ in deliveries],
        [delivered_at for _, _, delivered_at in deliveries],
    )
    rows = await conn.fetch(
        """
        SELECT w.ven_id, EXISTS (SELECT 1 FROM push_vens v WHERE v.ven_id = w.ven_id) AS pushed
        FROM (SELECT DISTINCT ven_id FROM pending_messages
              WHERE ven_id = ANY($1::text[]) AND delivered_at IS NULL) AS w
        """,
        sorted({ven_id for ven_id, _, _ in deliveries}),
    )
    reason = "more pending after a delivery"
    notices = [
        Envelope(ven_id=row["ven_id"], payload=VenChanged(ven_id=row["ven_id"], reason=reason, push=row["pushed"]))
        for row in sorted(rows, key=lambda row: row["ven_id"])
    ]
    await outbox.add_many(conn, topics.VEN_CHANGES, notices)
    in_order = sorted(marked, key=lambda row: row["id"])
    return DeliveredMany(
        marked=tuple((row["ven_id"], row["message_type"]) for row in in_order),
        waiting=frozenset(row["ven_id"] for row in rows),
    )


class PutBack(enum.Enum):
    """What became of a taken message a VEN never got (`put_back`)."""

    RETURNED = "returned"  # undelivered again: the VEN's next poll takes it
    OVERTAKEN = "overtaken"  # a later message of the VEN went out since: this one would now come out of order
    KEPT = "kept"  # of a type the caller does not put back
    NOT_TAKEN = "not_taken"  # not (or no longer) marked delivered, or purged


async def put_back(conn: Conn, ven_id: str, pending_id: int, kept_types: Iterable[str]) -> PutBack:
    """Mark the taken message `pending_id` undelivered again, unless a later message of the VEN has been taken
    since or its type is in `kept_types`; when it is, tell the gateways to forget the VEN's cached answers."""
    row = await conn.fetchrow(
        """
        WITH target AS (
            SELECT id, message_type FROM pending_messages
            WHERE id = $1 AND ven_id = $2 AND delivered_at IS NOT NULL
            FOR UPDATE
        ),
        overtaken AS (
            SELECT EXISTS (
                SELECT 1 FROM pending_messages WHERE ven_id = $2 AND id > $1 AND delivered_at IS NOT NULL
            ) AS yes
        ),
        returned AS (
            UPDATE pending_messages p SET delivered_at = NULL
            FROM target
            WHERE p.id = target.id AND NOT (SELECT yes FROM overtaken)
              AND NOT (target.message_type = ANY($3::text[]))
            RETURNING p.id
        )
        SELECT (SELECT message_type FROM target) AS taken_type,
               (SELECT yes FROM overtaken) AS overtaken,
               (SELECT id FROM returned) AS returned_id
        """,
        pending_id,
        ven_id,
        sorted(kept_types),
    )
    assert row is not None
    if row["returned_id"] is not None:
        await notify_ven_changed(conn, ven_id, "a pending message put back")
        return PutBack.RETURNED
    if row["taken_type"] is None:
        return PutBack.NOT_TAKEN
    return PutBack.OVERTAKEN if row["overtaken"] else PutBack.KEPT


async def record_delivered(conn: Conn, ven_id: str, message: VtnMessage) -> None:
    """Keep a message the VTN gave a VEN without queueing it (a VTN_ON_POLL hook's answer) as delivered, so
    that the VEN's acknowledgement of it finds it (`sent_to`); purged with the other delivered messages."""
    await conn.execute(
        "INSERT INTO pending_messages (ven_id, message_type, message, delivered_at) VALUES ($1, $2, $3::jsonb, now())",
        ven_id,
        message.message_type,
        VTN_MESSAGE_ADAPTER.dump_json(message).decode(),
    )


# The requestID of a queued message: its own, or its eiResponse's (oadrCreatedReport, oadrCanceledReport).
# Indexed with the VEN and type by migration 0012 (pending_messages_sent), for every type but oadrDistributeEvent,
# whose answers name events, not requestIDs: the literal condition below lets the planner use that index.
_SENT_REQUEST_ID = "COALESCE(message ->> 'request_id', message #>> '{response,request_id}')"


async def sent_to(
    conn: Conn, ven_id: str, message_types: Collection[str], request_id: str | None = None
) -> list[VtnMessage]:
    """The messages of `message_types` the VTN queued for `ven_id`, newest first, with the requestID
    `request_id` when one is given: what a VEN's acknowledgement may name. Delivered messages are purged
    after a while (registration_svc), so an acknowledgement older than that names nothing any more."""
    if "oadrDistributeEvent" in message_types:
        raise ValueError("answers to oadrDistributeEvent name events: look them up in event_svc")
    condition = "" if request_id is None else f" AND {_SENT_REQUEST_ID} = $3"
    rows = await conn.fetch(
        f"""
        SELECT message::text AS message FROM pending_messages
        WHERE ven_id = $1 AND message_type = ANY($2::text[]) AND message_type <> 'oadrDistributeEvent'{condition}
        ORDER BY id DESC LIMIT 100
        """,
        ven_id,
        sorted(message_types),
        *(() if request_id is None else (request_id,)),
    )
    return [VTN_MESSAGE_ADAPTER.validate_json(row["message"]) for row in rows]


async def message_of(conn: Conn, pending_id: int) -> VtnMessage | None:
    """The message queued as `pending_id` (None once purged)."""
    stored = await conn.fetchval(f"SELECT {message_text('p')} FROM pending_messages p WHERE id = $1", pending_id)
    return None if stored is None else VTN_MESSAGE_ADAPTER.validate_json(stored)


async def purge_delivered(conn: Conn, older_than_days: int) -> None:
    """Delivered messages are kept for audit for a while, then removed, with the shared bodies no message
    names any more (those of sets replaced before they were fetched too)."""
    await conn.execute(
        "DELETE FROM pending_messages WHERE delivered_at < now() - make_interval(days => $1)", older_than_days
    )
    await conn.execute(
        "DELETE FROM pending_bodies b WHERE NOT EXISTS (SELECT 1 FROM pending_messages p WHERE p.body_id = b.id)"
    )
