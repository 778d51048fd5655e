"""SQL for the `vens` table (and the read model joining presence and pending messages)."""

from __future__ import annotations

from typing import Any

import asyncpg

from registration_svc.records import VenRecord, VenStatus
from shared.contract.operator import ListVens, PresenceChange, VenCounts, VenTally, VenView
from shared.db.connection import Conn
from shared.oadr.registration import CreatePartyRegistration

_RECORD_COLUMNS = (
    "ven_id, ven_name, fingerprint, provisioned, status, registration_id, registered_at, cancelled_at,"
    " registration_in_force(status) AS in_force, registration_staying(status) AS staying, http_pull_model,"
    " transport_name, profile_name"
)


def _record(row: asyncpg.Record | None) -> VenRecord | None:
    if row is None:
        return None
    values = dict(row)
    values["status"] = VenStatus(values["status"])
    return VenRecord(**values)


async def by_ven_id(conn: Conn, ven_id: str, lock: bool = False) -> VenRecord | None:
    suffix = " FOR UPDATE" if lock else ""
    return _record(await conn.fetchrow(f"SELECT {_RECORD_COLUMNS} FROM vens WHERE ven_id = $1{suffix}", ven_id))


async def by_registration_id(conn: Conn, registration_id: str) -> VenRecord | None:
    return _record(
        await conn.fetchrow(
            f"SELECT {_RECORD_COLUMNS} FROM vens WHERE registration_id = $1 FOR UPDATE", registration_id
        )
    )


async def by_ven_name(conn: Conn, ven_name: str) -> VenRecord | None:
    return _record(await conn.fetchrow(f"SELECT {_RECORD_COLUMNS} FROM vens WHERE ven_name = $1", ven_name))


async def by_fingerprint(conn: Conn, fingerprint: str) -> VenRecord | None:
    return _record(await conn.fetchrow(f"SELECT {_RECORD_COLUMNS} FROM vens WHERE fingerprint = $1", fingerprint))


async def save_registration(
    conn: Conn,
    ven_id: str,
    registration_id: str,
    request: CreatePartyRegistration,
    fingerprint: str | None,
) -> None:
    """Create or update the VEN row as registered with these ids and the details it sent."""
    await conn.execute(
        """
        INSERT INTO vens (ven_id, ven_name, fingerprint, status, registration_id, profile_name, transport_name,
                          transport_address, report_only, xml_signature, http_pull_model, registered_at)
        VALUES ($1, $2, $3, 'registered', $4, $5, $6, $7, $8, $9, $10, now())
        ON CONFLICT (ven_id) DO UPDATE SET
            ven_name = COALESCE(EXCLUDED.ven_name, vens.ven_name),
            fingerprint = COALESCE(vens.fingerprint, EXCLUDED.fingerprint),
            status = 'registered',
            registration_id = EXCLUDED.registration_id,
            profile_name = EXCLUDED.profile_name,
            transport_name = EXCLUDED.transport_name,
            transport_address = EXCLUDED.transport_address,
            report_only = EXCLUDED.report_only,
            xml_signature = EXCLUDED.xml_signature,
            http_pull_model = EXCLUDED.http_pull_model,
            registered_at = now(),
            cancelled_at = NULL,
            updated_at = now()
        """,
        ven_id,
        request.ven_name,
        fingerprint,
        registration_id,
        request.profile_name,
        request.transport_name,
        request.transport_address,
        request.report_only,
        request.xml_signature,
        request.http_pull_model,
    )


async def set_status(conn: Conn, ven_id: str, status: VenStatus) -> None:
    cancelled = status is VenStatus.CANCELLED
    await conn.execute(
        """
        UPDATE vens SET status = $2, updated_at = now(),
               cancelled_at = CASE WHEN $3 THEN now() ELSE cancelled_at END
        WHERE ven_id = $1
        """,
        ven_id,
        status.value,
        cancelled,
    )


async def insert_provisioned(conn: Conn, ven_id: str, ven_name: str | None, fingerprint: str | None) -> bool:
    """A VEN allowed to register itself later (2.0b). False when the id, name or fingerprint is taken already."""
    inserted = await conn.fetchval(
        """
        INSERT INTO vens (ven_id, ven_name, fingerprint, provisioned, status)
        VALUES ($1, $2, $3, true, 'provisioned')
        ON CONFLICT DO NOTHING
        RETURNING true
        """,
        ven_id,
        ven_name,
        fingerprint,
    )
    return bool(inserted)


async def provision_in_force(
    conn: Conn,
    ven_id: str,
    ven_name: str | None,
    fingerprint: str | None,
    profile_name: str,
    transport_address: str | None,
) -> bool:
    """A VEN of a profile without a registration service (2.0a), in force at once: pulling its events, or taking
    pushes at `transport_address`. A cancelled VEN with this venID is put back in force. False when the venID is
    another VEN's in force, or the venName or fingerprint another VEN's."""
    try:
        async with conn.transaction():  # a savepoint: a clash leaves the caller's transaction usable
            inserted = await conn.fetchval(
                """
                INSERT INTO vens (ven_id, ven_name, fingerprint, provisioned, status, profile_name, transport_name,
                                  transport_address, http_pull_model, report_only, xml_signature, registered_at)
                VALUES ($1, $2, $3, true, 'registered', $4, 'simpleHttp', $5::text, $5::text IS NULL, false, false, now())
                ON CONFLICT (ven_id) DO UPDATE SET
                    ven_name = EXCLUDED.ven_name, fingerprint = EXCLUDED.fingerprint, provisioned = true,
                    status = 'registered', registration_id = NULL, profile_name = EXCLUDED.profile_name,
                    transport_name = EXCLUDED.transport_name, transport_address = EXCLUDED.transport_address,
                    http_pull_model = EXCLUDED.http_pull_model, report_only = false, xml_signature = false,
                    registered_at = now(), cancelled_at = NULL, updated_at = now()
                WHERE vens.status = 'cancelled'
                RETURNING true
                """,
                ven_id,
                ven_name,
                fingerprint,
                profile_name,
                transport_address,
            )
    except asyncpg.UniqueViolationError:
        return False
    return bool(inserted)


_VIEW_SELECT = """
    SELECT v.ven_id, v.ven_name, v.fingerprint, v.registration_id,
           registration_in_force(v.status) AS registered,
           v.provisioned, v.profile_name, v.transport_name, v.http_pull_model, v.transport_address,
           v.registered_at, v.cancelled_at,
           COALESCE(p.online, false) AS online, p.last_seen,
           (SELECT count(*) FROM pending_messages m WHERE m.ven_id = v.ven_id AND m.delivered_at IS NULL)
               AS pending_messages
    FROM vens v LEFT JOIN ven_presence p ON p.ven_id = v.ven_id
"""


async def view(conn: Conn, ven_id: str) -> VenView | None:
    row = await conn.fetchrow(_VIEW_SELECT + " WHERE v.ven_id = $1", ven_id)
    return VenView(**dict(row)) if row is not None else None


async def list_views(conn: Conn, query: ListVens) -> list[VenView]:
    conditions: list[str] = []
    args: list[Any] = []
    if query.registered is not None:
        args.append(query.registered)
        conditions.append(f"registration_in_force(v.status) = ${len(args)}")
    if query.online is not None:
        args.append(query.online)
        conditions.append(f"COALESCE(p.online, false) = ${len(args)}")
    if query.ven_name_prefix is not None:
        args.append(query.ven_name_prefix)
        conditions.append(f"starts_with(v.ven_name, ${len(args)})")
    if query.search is not None:
        # Both sides use their text_pattern_ops index (migration 0012): a prefix search stays an index scan.
        args.append(_like_prefix(query.search))
        args.append(_like_prefix(query.search.lower()))
        conditions.append(f"(v.ven_id LIKE ${len(args) - 1} OR lower(v.ven_name) LIKE ${len(args)})")
    for column in ("profile_name", "transport_name"):
        wanted = getattr(query, column)
        if wanted is not None:
            args.append(wanted)
            conditions.append(f"v.{column} = ${len(args)}")
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    args += [query.limit, query.offset]
    rows = await conn.fetch(
        _VIEW_SELECT + where + f" ORDER BY v.ven_id LIMIT ${len(args) - 1} OFFSET ${len(args)}", *args
    )
    return [VenView(**dict(row)) for row in rows]


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching strings that start with `text` (its own % and _ taken literally)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def counts(conn: Conn) -> VenCounts:
    """The fleet by profile and transport, in one pass over the VEN directory and presence."""
    rows = await conn.fetch(
        """
        SELECT v.profile_name, v.transport_name, count(*) AS known,
               count(*) FILTER (WHERE registration_in_force(v.status)) AS registered,
               count(*) FILTER (WHERE registration_in_force(v.status) AND p.online) AS online
        FROM vens v LEFT JOIN ven_presence p ON p.ven_id = v.ven_id
        GROUP BY v.profile_name, v.transport_name
        ORDER BY v.profile_name NULLS FIRST, v.transport_name NULLS FIRST
        """
    )
    as_of = await conn.fetchval("SELECT now()")
    tallies = tuple(
        VenTally(
            profile_name=row["profile_name"],
            transport_name=row["transport_name"],
            registered=row["registered"],
            online=row["online"],
        )
        for row in rows
    )
    return VenCounts(
        as_of=as_of,
        known=sum(row["known"] for row in rows),
        registered=sum(t.registered for t in tallies),
        online=sum(t.online for t in tallies),
        by_profile_transport=tallies,
    )


async def presence_history(conn: Conn, ven_id: str, limit: int) -> tuple[PresenceChange, ...]:
    rows = await conn.fetch(
        """
        SELECT online, last_seen, changed_at FROM ven_presence_history
        WHERE ven_id = $1 ORDER BY id DESC LIMIT $2
        """,
        ven_id,
        limit,
    )
    return tuple(PresenceChange(**dict(row)) for row in rows)
