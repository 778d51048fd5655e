"""Where the VTN's report requests, cancels, METADATA and own reports stand in waiting for the VEN's
confirmation (report_svc.confirmations.decisions): the rows due for a look, and what each look decided.

Each table keeps the same four columns for it (migrations 0008 and 0009): the queued message last sent (NULL:
it went out in an HTTP answer), `confirm_by`, `resends` and `unconfirmed_at`. A VEN no longer registered
awaits nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import asyncpg

from report_svc.confirmations.decisions import request_awaiting
from shared.awaited_replies import Awaiting
from shared.db.connection import Conn
from shared.oadr.report_parts import ReportRequest


class AwaitedTable(Enum):
    """A table of messages awaiting confirmation, the column that names a VEN's message in it, and the column
    of the queued message last sent."""

    REQUESTS = ("report_requests", "report_request_id", "sent_pending_id")
    OFFERS = ("vtn_report_registrations", "request_id", "sent_pending_id")
    VTN_REPORTS = ("vtn_report_requests", "report_request_id", "last_sent_pending_id")  # each request's last report

    @property
    def table(self) -> str:
        return self.value[0]

    @property
    def key(self) -> str:
        return self.value[1]

    @property
    def pending(self) -> str:
        return self.value[2]


@dataclass(frozen=True)
class AwaitingRequest:
    """A report request (or its cancel) as stored, and what the VTN awaits of it."""

    ven_id: str
    status: str
    request: ReportRequest
    report_to_follow: bool
    cancel_request_id: str | None
    awaiting: Awaiting

    @property
    def report_request_id(self) -> str:
        return self.request.report_request_id


@dataclass(frozen=True)
class AwaitingCopy:
    """A message sent again as the very one queued, requestID included (the VEN's reply must name it): the VTN's
    METADATA (an oadrRegisterReport, keyed by its requestID) or the last oadrUpdateReport of a VEN's request of
    the VTN's reports (keyed by the reportRequestID)."""

    ven_id: str
    key: str
    copy_of: str  # what tells apart the messages sent under one key: the oadrUpdateReport's requestID
    pending_id: int | None  # the queued message
    awaiting: Awaiting


async def await_confirmation(conn: Conn, table: AwaitedTable, ven_id: str, key: str, pending_id: int) -> None:
    """The message that now awaits the VEN's confirmation is the queued one `pending_id`; look at it soon."""
    await conn.execute(
        f"UPDATE {table.table} SET {table.pending} = $3, confirm_by = now() WHERE ven_id = $1 AND {table.key} = $2",
        ven_id,
        key,
        pending_id,
    )


async def _due(
    conn: Conn, table: AwaitedTable, columns: str, written: str, now: datetime, limit: int
) -> list[asyncpg.Record]:
    """Rows of `table` due for a look by `now` (oldest first), locked until the caller's transaction ends (other
    instances skip them): `columns`, when the message went out (`sent_at`: its queue row's delivery, NULL while
    still queued; the row's `written` column if it went out in an HTTP answer or its queue row was purged), and
    whether its VEN is still registered."""
    return list(
        await conn.fetch(
            f"""
            SELECT {columns},
                CASE WHEN t.{table.pending} IS NULL OR p.id IS NULL THEN t.{written} ELSE p.delivered_at END AS sent_at,
                EXISTS (SELECT 1 FROM vens v WHERE v.ven_id = t.ven_id AND registration_staying(v.status)) AS ven_registered
            FROM {table.table} t
            LEFT JOIN pending_messages p ON p.id = t.{table.pending}
            WHERE t.confirm_by <= $1
            ORDER BY t.confirm_by
            LIMIT $2
            FOR UPDATE OF t SKIP LOCKED
            """,
            now,
            limit,
        )
    )


async def due_requests(conn: Conn, now: datetime, limit: int) -> list[AwaitingRequest]:
    """Up to `limit` report requests to look at by `now`."""
    columns = (
        "t.ven_id, t.status, t.request::text AS request, t.resends, t.report_to_follow, t.cancel_request_id,"
        " EXISTS (SELECT 1 FROM report_data d WHERE d.ven_id = t.ven_id AND d.report_request_id = t.report_request_id)"
        " AS has_data"
    )
    rows = await _due(conn, AwaitedTable.REQUESTS, columns, "created_at", now, limit)
    return [_awaiting_request(row) for row in rows]


def _awaiting_request(row: asyncpg.Record) -> AwaitingRequest:
    request = ReportRequest.model_validate_json(row["request"])
    awaiting = (
        request_awaiting(row["status"], request, row["has_data"], row["sent_at"], row["resends"])
        if row["ven_registered"]
        else Awaiting(confirmed=True, reply_due=None, resends=row["resends"])  # the VEN has no requests any more
    )
    return AwaitingRequest(
        ven_id=row["ven_id"],
        status=row["status"],
        request=request,
        report_to_follow=row["report_to_follow"],
        cancel_request_id=row["cancel_request_id"],
        awaiting=awaiting,
    )


async def due_offers(conn: Conn, now: datetime, limit: int) -> list[AwaitingCopy]:
    """Up to `limit` METADATA offers to look at by `now`. An offer followed by a newer one to the same VEN awaits
    nothing any more."""
    columns = (
        "t.ven_id, t.request_id AS key, '' AS copy_of, t.sent_pending_id AS pending_id, t.resends,"
        " t.acknowledged_at IS NOT NULL"
        " OR EXISTS (SELECT 1 FROM vtn_report_registrations n WHERE n.ven_id = t.ven_id AND n.sent_at > t.sent_at)"
        " AS confirmed"
    )
    return [_awaiting_copy(row) for row in await _due(conn, AwaitedTable.OFFERS, columns, "sent_at", now, limit)]


async def due_vtn_reports(conn: Conn, now: datetime, limit: int) -> list[AwaitingCopy]:
    """Up to `limit` of the VTN's own reports to look at by `now`: the last report of each request, until the
    VEN acknowledges it. A newer report of the same request replaces it (vtn_store.advance)."""
    columns = (
        "t.ven_id, t.report_request_id AS key, coalesce(t.last_sent_request_id, '') AS copy_of,"
        " t.last_sent_pending_id AS pending_id, t.resends,"
        " t.last_sent_acknowledged OR t.last_sent_request_id IS NULL AS confirmed"
    )
    rows = await _due(conn, AwaitedTable.VTN_REPORTS, columns, "updated_at", now, limit)
    return [_awaiting_copy(row) for row in rows]


def _awaiting_copy(row: asyncpg.Record) -> AwaitingCopy:
    return AwaitingCopy(
        ven_id=row["ven_id"],
        key=row["key"],
        copy_of=row["copy_of"],
        pending_id=row["pending_id"],
        awaiting=Awaiting(
            confirmed=row["confirmed"] or not row["ven_registered"], reply_due=row["sent_at"], resends=row["resends"]
        ),
    )


def _keys(table: AwaitedTable) -> str:
    return f"FROM unnest($1::text[], $2::text[]) AS k(ven_id, key) WHERE t.ven_id = k.ven_id AND t.{table.key} = k.key"


async def settle(conn: Conn, table: AwaitedTable, keys: Sequence[tuple[str, str]]) -> None:
    """Each (venID, key) awaits nothing more."""
    if keys:
        await conn.execute(
            f"UPDATE {table.table} t SET confirm_by = NULL {_keys(table)}", [v for v, _ in keys], [k for _, k in keys]
        )


async def look_again(conn: Conn, table: AwaitedTable, looks: Sequence[tuple[str, str, datetime]]) -> None:
    """Each (venID, key, when to look at it next)."""
    if looks:
        await conn.execute(
            f"UPDATE {table.table} t SET confirm_by = l.at"
            " FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS l(ven_id, key, at)"
            f" WHERE t.ven_id = l.ven_id AND t.{table.key} = l.key",
            [v for v, _, _ in looks],
            [k for _, k, _ in looks],
            [at for _, _, at in looks],
        )


async def sent_again(
    conn: Conn, table: AwaitedTable, ven_id: str, key: str, pending_id: int | None, look_at: datetime
) -> None:
    """Counted as sent again; `pending_id` None: a copy under the same dedup key was already queued."""
    await conn.execute(
        f"UPDATE {table.table} SET resends = resends + 1, {table.pending} = COALESCE($3, {table.pending}),"
        f" confirm_by = $4 WHERE ven_id = $1 AND {table.key} = $2",
        ven_id,
        key,
        pending_id,
        look_at,
    )


async def give_up(conn: Conn, table: AwaitedTable, keys: Sequence[tuple[str, str]], now: datetime) -> None:
    if keys:
        await conn.execute(
            f"UPDATE {table.table} t SET confirm_by = NULL, unconfirmed_at = $3 {_keys(table)}",
            [v for v, _ in keys],
            [k for _, k in keys],
            now,
        )
