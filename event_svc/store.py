"""event_svc's tables: events, VEN memberships, VENs' answers, opts, and the set last queued per VEN.

SQL only; the rules live in status.py, validation.py, delivery.py and answers.py.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from event_svc.answer_waits.decisions import Awaited
from event_svc.delivery import Membership, StoredEvent
from event_svc.status import EventSchedule
from shared.db.connection import Conn
from shared.oadr.event import Event
from shared.oadr.opt import CreateOpt, OptType
from shared.oadr.target import Target

EVENT_COLUMNS = "event_id, event, cancelled, updated_at"


@dataclass(frozen=True)
class StoredAnswer:
    ven_id: str
    opt_type: OptType
    modification_number: int
    received_at: datetime


@dataclass(frozen=True)
class StoredOpt:
    opt: CreateOpt
    updated_at: datetime
    cancelled_at: datetime | None


def _event(row: object) -> StoredEvent:
    record = dict(row)  # type: ignore[call-overload]
    return StoredEvent(event=Event.model_validate_json(record["event"]), cancelled=record["cancelled"])


async def save_event(
    conn: Conn, event: Event, cancelled: bool, schedule: EventSchedule, *, named_before: tuple[str, ...] | None = None
) -> None:
    """Insert or replace the event. `named_before`: the venIDs its stored version named (None: new event);
    the VENs it names are indexed again only when they changed."""
    t = event.targets
    await conn.execute(
        """
        INSERT INTO events (event_id, modification_number, cancelled, event, starts_at, ends_at, delivered_until,
                            next_change_at, target_ven_ids, target_group_ids, target_resource_ids, target_party_ids)
        VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (event_id) DO UPDATE SET
            modification_number = EXCLUDED.modification_number, cancelled = EXCLUDED.cancelled,
            event = EXCLUDED.event, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
            delivered_until = EXCLUDED.delivered_until, next_change_at = EXCLUDED.next_change_at,
            target_ven_ids = EXCLUDED.target_ven_ids, target_group_ids = EXCLUDED.target_group_ids,
            target_resource_ids = EXCLUDED.target_resource_ids, target_party_ids = EXCLUDED.target_party_ids,
            updated_at = now()
        """,
        event.descriptor.event_id,
        event.descriptor.modification_number,
        cancelled,
        event.model_dump_json(),
        schedule.starts_at,
        schedule.ends_at,
        schedule.delivered_until,
        schedule.next_change_at,
        list(t.ven_ids),
        list(t.group_ids),
        list(t.resource_ids),
        list(t.party_ids),
    )
    if named_before != event.targets.ven_ids:
        await _name_vens(conn, event.descriptor.event_id, event.targets.ven_ids)


async def _name_vens(conn: Conn, event_id: str, ven_ids: tuple[str, ...]) -> None:
    """Keep the event's rows in event_target_vens equal to the venIDs it names."""
    await conn.execute(
        """
        WITH named AS (SELECT DISTINCT unnest($2::text[]) AS ven_id),
        dropped AS (
            DELETE FROM event_target_vens t
            WHERE t.event_id = $1 AND NOT EXISTS (SELECT 1 FROM named n WHERE n.ven_id = t.ven_id)
        )
        INSERT INTO event_target_vens (ven_id, event_id) SELECT ven_id, $1 FROM named ON CONFLICT DO NOTHING
        """,
        event_id,
        list(ven_ids),
    )


async def event_exists(conn: Conn, event_id: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM events WHERE event_id = $1", event_id))


async def get_event(conn: Conn, event_id: str, *, lock: bool = False) -> StoredEvent | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(f"SELECT {EVENT_COLUMNS} FROM events WHERE event_id = $1{suffix}", event_id)
    return None if row is None else _event(row)


async def delete_event(conn: Conn, event_id: str) -> None:
    await conn.execute("DELETE FROM events WHERE event_id = $1", event_id)


async def membership(conn: Conn, ven_id: str) -> Membership:
    rows = await conn.fetch("SELECT kind, member_id FROM ven_memberships WHERE ven_id = $1", ven_id)
    by_kind: dict[str, set[str]] = {"group": set(), "resource": set(), "party": set()}
    for row in rows:
        by_kind[row["kind"]].add(row["member_id"])
    return Membership(
        ven_id=ven_id,
        group_ids=frozenset(by_kind["group"]),
        resource_ids=frozenset(by_kind["resource"]),
        party_ids=frozenset(by_kind["party"]),
    )


async def memberships(conn: Conn, ven_ids: list[str]) -> dict[str, Membership]:
    """The memberships of several VENs in one query (a VEN with none belongs to nothing)."""
    rows = await conn.fetch(
        "SELECT ven_id, kind, member_id FROM ven_memberships WHERE ven_id = ANY($1::text[])", ven_ids
    )
    by_ven: dict[str, dict[str, set[str]]] = {v: {"group": set(), "resource": set(), "party": set()} for v in ven_ids}
    for row in rows:
        by_ven[row["ven_id"]][row["kind"]].add(row["member_id"])
    return {
        ven_id: Membership(
            ven_id=ven_id,
            group_ids=frozenset(kinds["group"]),
            resource_ids=frozenset(kinds["resource"]),
            party_ids=frozenset(kinds["party"]),
        )
        for ven_id, kinds in by_ven.items()
    }


async def set_membership(conn: Conn, ven: Membership) -> None:
    await conn.execute("DELETE FROM ven_memberships WHERE ven_id = $1", ven.ven_id)
    rows = [(ven.ven_id, "group", g) for g in ven.group_ids]
    rows += [(ven.ven_id, "resource", r) for r in ven.resource_ids]
    rows += [(ven.ven_id, "party", p) for p in ven.party_ids]
    if rows:
        await conn.executemany("INSERT INTO ven_memberships (ven_id, kind, member_id) VALUES ($1, $2, $3)", rows)


_FOR_VEN = """
    (event_id IN (SELECT event_id FROM event_target_vens WHERE ven_id = $1) OR target_group_ids && $2::text[]
     OR target_resource_ids && $3::text[] OR target_party_ids && $4::text[])
"""


def _ven_args(ven: Membership) -> list[object]:
    return [ven.ven_id, sorted(ven.group_ids), sorted(ven.resource_ids), sorted(ven.party_ids)]


async def events_for_ven(conn: Conn, ven: Membership, now: datetime) -> list[StoredEvent]:
    """Events targeting the VEN that have not aged out."""
    rows = await conn.fetch(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE {_FOR_VEN} AND (delivered_until IS NULL OR delivered_until > $5)",
        *_ven_args(ven),
        now,
    )
    return [_event(row) for row in rows]


async def events_for_any(conn: Conn, vens: list[Membership], now: datetime) -> list[StoredEvent]:
    """Events targeting at least one of `vens` that have not aged out, each read and parsed once, with their
    venIDs narrowed to those of `vens` they name (in venID order): an event naming ten thousand VENs is not
    sent and parsed whole for each batch of VENs refreshed, only its part about the batch."""
    ven_ids = [v.ven_id for v in vens]
    rows = await conn.fetch(
        """
        WITH named AS (
            SELECT event_id, array_agg(ven_id ORDER BY ven_id) AS ven_ids FROM event_target_vens
            WHERE ven_id = ANY($1::text[]) GROUP BY event_id
        )
        SELECT e.event_id, (e.event #- '{targets,ven_ids}')::text AS event, e.cancelled,
               COALESCE(named.ven_ids, '{}'::text[]) AS named
        FROM events e LEFT JOIN named ON named.event_id = e.event_id
        WHERE (named.event_id IS NOT NULL OR e.target_group_ids && $2::text[]
               OR e.target_resource_ids && $3::text[] OR e.target_party_ids && $4::text[])
          AND (e.delivered_until IS NULL OR e.delivered_until > $5)
        """,
        ven_ids,
        sorted(set().union(*(v.group_ids for v in vens))),
        sorted(set().union(*(v.resource_ids for v in vens))),
        sorted(set().union(*(v.party_ids for v in vens))),
        now,
    )
    return [_narrowed(row) for row in rows]


def _narrowed(row: object) -> StoredEvent:
    """An event read without its venIDs, given those of the batch it names."""
    record = dict(row)  # type: ignore[call-overload]
    event = Event.model_validate_json(record["event"])
    targets = event.targets.model_copy(update={"ven_ids": tuple(record["named"])})
    return StoredEvent(event=event.model_copy(update={"targets": targets}), cancelled=record["cancelled"])


@dataclass(frozen=True)
class EventVersion:
    """An event's current modificationNumber and targets, for judging answers (`named`: those of the VENs asked
    about that it names, as a set; the targets' venIDs are the same)."""

    modification_number: int
    targets: Target
    named: frozenset[str]


async def event_versions(conn: Conn, event_ids: Collection[str], ven_ids: Collection[str]) -> dict[str, EventVersion]:
    """The current version and targets of each of `event_ids` that exists, without reading the events; `named`
    holds those of `ven_ids` the event names, not all its venIDs (an event may name ten thousand VENs, and
    every fetch of answers would read them all)."""
    rows = await conn.fetch(
        """
        SELECT e.event_id, e.modification_number, e.target_group_ids, e.target_resource_ids, e.target_party_ids,
               ARRAY(SELECT n.ven_id FROM event_target_vens n
                     WHERE n.ven_id = ANY($2::text[]) AND n.event_id = e.event_id) AS named
        FROM events e WHERE e.event_id = ANY($1::text[])
        """,
        sorted(set(event_ids)),
        sorted(set(ven_ids)),
    )
    return {
        row["event_id"]: EventVersion(
            int(row["modification_number"]),
            Target(
                ven_ids=tuple(sorted(row["named"])),
                group_ids=tuple(row["target_group_ids"]),
                resource_ids=tuple(row["target_resource_ids"]),
                party_ids=tuple(row["target_party_ids"]),
            ),
            frozenset(row["named"]),
        )
        for row in rows
    }


async def list_events(conn: Conn, ven: Membership | None, limit: int, offset: int) -> list[StoredEvent]:
    if ven is None:
        rows = await conn.fetch(
            f"SELECT {EVENT_COLUMNS} FROM events ORDER BY created_at DESC, event_id LIMIT $1 OFFSET $2", limit, offset
        )
    else:
        rows = await conn.fetch(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE {_FOR_VEN} ORDER BY created_at DESC, event_id LIMIT $5 OFFSET $6",
            *_ven_args(ven),
            limit,
            offset,
        )
    return [_event(row) for row in rows]


async def unfinished_events(conn: Conn, now: datetime) -> list[StoredEvent]:
    """Events neither cancelled nor past their end at `now` (far, near or active, by status.status_at)."""
    rows = await conn.fetch(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE NOT cancelled AND (ends_at IS NULL OR ends_at > $1)", now
    )
    return [_event(row) for row in rows]


async def targeted_ven_ids(
    conn: Conn, targets: Target, *, profile: str | None = None, limit: int | None = None
) -> list[str]:
    """Registered VENs an event with `targets` is for, by venID or by membership; only those of `profile` when
    given, and the first `limit` of them in venID order when given."""
    rows = await conn.fetch(
        """
        SELECT ven_id FROM vens WHERE registration_in_force(status)
        AND ($5::text IS NULL OR profile_name = $5) AND (
            ven_id = ANY($1::text[])
            OR ven_id IN (
                SELECT ven_id FROM ven_memberships
                WHERE (kind = 'group' AND member_id = ANY($2::text[]))
                   OR (kind = 'resource' AND member_id = ANY($3::text[]))
                   OR (kind = 'party' AND member_id = ANY($4::text[]))
            )
        )
        ORDER BY ven_id
        LIMIT $6
        """,
        list(targets.ven_ids),
        list(targets.group_ids),
        list(targets.resource_ids),
        list(targets.party_ids),
        profile,
        limit,
    )
    return [row["ven_id"] for row in rows]


async def profile_of(conn: Conn, ven_id: str) -> str | None:
    """The OpenADR profile of a known VEN (None: no such VEN in the directory)."""
    profile: str | None = await conn.fetchval("SELECT profile_name FROM vens WHERE ven_id = $1", ven_id)
    return profile


async def due_event_ids(conn: Conn, now: datetime, limit: int) -> list[str]:
    """Events whose status or currentValue changes by `now`, locked for this instance."""
    rows = await conn.fetch(
        """
        SELECT event_id FROM events WHERE next_change_at <= $1
        ORDER BY next_change_at LIMIT $2 FOR UPDATE SKIP LOCKED
        """,
        now,
        limit,
    )
    return [row["event_id"] for row in rows]


async def set_next_change(conn: Conn, event_id: str, next_change_at: datetime | None) -> None:
    await conn.execute("UPDATE events SET next_change_at = $2 WHERE event_id = $1", event_id, next_change_at)


AnswerKey = tuple[str, str]  # (eventID, venID)


@dataclass(frozen=True)
class RecordedAnswer:
    """A VEN's answer to an event as stored: what tells a resend from a change."""

    modification_number: int
    opt_type: OptType
    response_code: int


@dataclass(frozen=True)
class NewAnswer:
    event_id: str
    ven_id: str
    answer: RecordedAnswer
    request_id: str | None


async def recorded_answers(conn: Conn, keys: Collection[AnswerKey]) -> dict[AnswerKey, RecordedAnswer]:
    """The stored answers of these (eventID, venID), row-locked for the transaction."""
    ordered = sorted(set(keys))
    rows = await conn.fetch(
        """
        SELECT r.event_id, r.ven_id, r.modification_number, r.opt_type, r.response_code
        FROM event_responses r JOIN unnest($1::text[], $2::text[]) AS k(event_id, ven_id) USING (event_id, ven_id)
        ORDER BY r.event_id, r.ven_id FOR UPDATE OF r
        """,
        [event_id for event_id, _ in ordered],
        [ven_id for _, ven_id in ordered],
    )
    return {
        (row["event_id"], row["ven_id"]): RecordedAnswer(
            int(row["modification_number"]), row["opt_type"], int(row["response_code"])
        )
        for row in rows
    }


async def save_answers(conn: Conn, answers: Sequence[NewAnswer]) -> None:
    """Store each answer (one per eventID and venID), replacing the one stored, with one statement."""
    if not answers:
        return
    await conn.execute(
        """
        INSERT INTO event_responses (event_id, ven_id, modification_number, opt_type, response_code, request_id)
        SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::text[])
        ON CONFLICT (event_id, ven_id) DO UPDATE SET
            modification_number = EXCLUDED.modification_number, opt_type = EXCLUDED.opt_type,
            response_code = EXCLUDED.response_code, request_id = EXCLUDED.request_id, received_at = now()
        """,
        [a.event_id for a in answers],
        [a.ven_id for a in answers],
        [a.answer.modification_number for a in answers],
        [a.answer.opt_type for a in answers],
        [a.answer.response_code for a in answers],
        [a.request_id for a in answers],
    )


async def answers_for(conn: Conn, event_id: str) -> dict[str, StoredAnswer]:
    rows = await conn.fetch(
        "SELECT ven_id, opt_type, modification_number, received_at FROM event_responses WHERE event_id = $1", event_id
    )
    return {
        r["ven_id"]: StoredAnswer(r["ven_id"], r["opt_type"], r["modification_number"], r["received_at"]) for r in rows
    }


def _opt(row: object) -> StoredOpt:
    record = dict(row)  # type: ignore[call-overload]
    return StoredOpt(CreateOpt.model_validate_json(record["opt"]), record["updated_at"], record["cancelled_at"])


async def save_opt(conn: Conn, opt: CreateOpt) -> bool:
    """Store or replace the opt; True when it replaced one of the VEN's with the same optID."""
    replaced = await conn.fetchval(
        """
        INSERT INTO opts (opt_id, ven_id, opt_type, event_id, modification_number, opt)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb)
        ON CONFLICT (ven_id, opt_id) DO UPDATE SET
            opt_type = EXCLUDED.opt_type, event_id = EXCLUDED.event_id,
            modification_number = EXCLUDED.modification_number, opt = EXCLUDED.opt,
            updated_at = now(), cancelled_at = NULL
        RETURNING (xmax <> 0)
        """,
        opt.opt_id,
        opt.ven_id,
        opt.opt_type,
        opt.event_id,
        opt.modification_number,
        opt.model_dump_json(),
    )
    return bool(replaced)


async def cancel_opt(conn: Conn, opt_id: str, ven_id: str) -> bool:
    done = await conn.fetchval(
        """
        UPDATE opts SET cancelled_at = now(), updated_at = now()
        WHERE opt_id = $1 AND ven_id = $2 AND cancelled_at IS NULL RETURNING true
        """,
        opt_id,
        ven_id,
    )
    return bool(done)


async def event_opts(conn: Conn, event_id: str) -> dict[str, StoredOpt]:
    """The latest opt in force for the event, per VEN."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (ven_id) opt, updated_at, cancelled_at FROM opts
        WHERE event_id = $1 AND cancelled_at IS NULL ORDER BY ven_id, updated_at DESC
        """,
        event_id,
    )
    found = [_opt(row) for row in rows]
    return {o.opt.ven_id: o for o in found}


async def opt_types(conn: Conn, keys: Collection[AnswerKey]) -> dict[AnswerKey, OptType]:
    """The opt type of the latest oadrCreateOpt in force for each (eventID, venID) that has one."""
    ordered = sorted(set(keys))
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (o.event_id, o.ven_id) o.event_id, o.ven_id, o.opt_type
        FROM opts o JOIN unnest($1::text[], $2::text[]) AS k(event_id, ven_id) USING (event_id, ven_id)
        WHERE o.cancelled_at IS NULL ORDER BY o.event_id, o.ven_id, o.updated_at DESC
        """,
        [event_id for event_id, _ in ordered],
        [ven_id for _, ven_id in ordered],
    )
    return {(row["event_id"], row["ven_id"]): row["opt_type"] for row in rows}


async def list_opts(conn: Conn, ven_id: str | None, event_id: str | None) -> list[StoredOpt]:
    rows = await conn.fetch(
        """
        SELECT opt, updated_at, cancelled_at FROM opts
        WHERE ($1::text IS NULL OR ven_id = $1) AND ($2::text IS NULL OR event_id = $2)
        ORDER BY updated_at DESC LIMIT 1000
        """,
        ven_id,
        event_id,
    )
    return [_opt(row) for row in rows]


async def lock_ven_set(conn: Conn, ven_id: str) -> tuple[str | None, int]:
    """The digest and version of the set last queued for the VEN, row-locked for the transaction."""
    await conn.execute(
        "INSERT INTO ven_event_sets (ven_id, digest, version) VALUES ($1, '', 0) ON CONFLICT (ven_id) DO NOTHING",
        ven_id,
    )
    row = await conn.fetchrow("SELECT digest, version FROM ven_event_sets WHERE ven_id = $1 FOR UPDATE", ven_id)
    assert row is not None
    return (row["digest"] or None), int(row["version"])


@dataclass(frozen=True)
class LastQueued:
    """The set last queued for a VEN: its digest (None: none yet), version, and when it was queued."""

    digest: str | None
    version: int
    queued_at: datetime


_LOCK_SETS = """
    SELECT ven_id, digest, version, updated_at FROM ven_event_sets
    WHERE ven_id = ANY($1::text[]) ORDER BY ven_id FOR UPDATE
"""


async def lock_ven_sets(conn: Conn, ven_ids: list[str]) -> dict[str, LastQueued]:
    """`lock_ven_set` for several VENs in one statement; rows are locked in venID order, as everywhere, after
    the missing ones are inserted. The locking part sees the rows as they were when the statement began: the
    rows it inserts come from its insert, and a row another transaction inserted meanwhile is locked after."""
    ordered = sorted(set(ven_ids))
    rows = await conn.fetch(
        f"""
        WITH created AS (
            INSERT INTO ven_event_sets (ven_id, digest, version)
            SELECT ven_id, '', 0 FROM unnest($1::text[]) AS ven_id ORDER BY ven_id
            ON CONFLICT (ven_id) DO NOTHING
            RETURNING ven_id, digest, version, updated_at
        ),
        locked AS ({_LOCK_SETS})
        SELECT * FROM created UNION ALL SELECT * FROM locked
        """,
        ordered,
    )
    found = {row["ven_id"]: row for row in rows}
    if len(found) < len(ordered):  # inserted by another transaction while this statement ran
        found.update(
            {row["ven_id"]: row for row in await conn.fetch(_LOCK_SETS, [v for v in ordered if v not in found])}
        )
    return {v: LastQueued(row["digest"] or None, int(row["version"]), row["updated_at"]) for v, row in found.items()}


async def save_ven_sets(conn: Conn, sets: list[tuple[str, str, int, list[Awaited]]]) -> None:
    """(venID, digest, version, the answers the set awaits) for several VENs in one statement: a set that awaits
    answers is looked at soon, with no resend counted yet (event_svc.answer_waits.sweep); one that awaits none, never."""
    if not sets:
        return
    await conn.execute(
        """
        UPDATE ven_event_sets AS s
        SET digest = n.digest, version = n.version, updated_at = now(),
            awaited = n.awaited::jsonb, resends = 0, unconfirmed_at = NULL,
            confirm_by = CASE WHEN n.awaited::jsonb = '[]'::jsonb THEN NULL ELSE now() END
        FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS n(ven_id, digest, version, awaited)
        WHERE s.ven_id = n.ven_id
        """,
        [v for v, _, _, _ in sets],
        [d for _, d, _, _ in sets],
        [n for _, _, n, _ in sets],
        [json.dumps(a) for _, _, _, a in sets],
    )


async def went_out_if_current(conn: Conn, ven_id: str, digest: str, dedup_prefix: str) -> bool:
    """When the set last queued for the VEN is the one of `digest`: mark its queued copy delivered (nothing to do
    if it went out already) and return True, in one statement without a lock; False when it is another set."""
    return bool(
        await conn.fetchval(
            """
            WITH current AS (SELECT version FROM ven_event_sets WHERE ven_id = $1 AND digest = $2),
            marked AS (
                UPDATE pending_messages p SET delivered_at = now() FROM current
                WHERE p.ven_id = $1 AND p.delivered_at IS NULL AND p.dedup_key = $3 || current.version
                RETURNING p.id
            )
            SELECT EXISTS (SELECT 1 FROM current)
            """,
            ven_id,
            digest,
            dedup_prefix,
        )
    )


async def mark_set_delivered(conn: Conn, ven_id: str, dedup_key: str) -> None:
    """The VEN got the set queued as `dedup_key` in an answer of its own asking: the queued copy went out."""
    await conn.execute(
        "UPDATE pending_messages SET delivered_at = now() WHERE ven_id = $1 AND dedup_key = $2 AND delivered_at IS NULL",
        ven_id,
        dedup_key,
    )


async def drop_undelivered_sets(conn: Conn, ven_ids: list[str], dedup_prefix: str) -> None:
    """Older full sets still waiting for these VENs are superseded by the ones about to be queued."""
    if not ven_ids:
        return
    await conn.execute(
        """
        DELETE FROM pending_messages
        WHERE ven_id = ANY($1::text[]) AND delivered_at IS NULL AND dedup_key LIKE $2 || '%'
        """,
        ven_ids,
        dedup_prefix,
    )
