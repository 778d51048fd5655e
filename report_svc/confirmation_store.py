"""Where report requests stand in waiting for the VEN's confirmation (report_svc.confirmations): the rows due for
a look, and what each look decided."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from report_svc.confirmations import Awaiting
from shared.db.connection import Conn
from shared.oadr.report_parts import ReportRequest


@dataclass(frozen=True)
class AwaitingRow:
    awaiting: Awaiting
    report_to_follow: bool
    cancel_request_id: str | None


async def await_confirmation(conn: Conn, ven_id: str, report_request_id: str, pending_id: int) -> None:
    """The message about the request that now awaits the VEN's confirmation is the queued one `pending_id`."""
    await conn.execute(
        "UPDATE report_requests SET sent_pending_id = $3, confirm_by = now()"
        " WHERE ven_id = $1 AND report_request_id = $2",
        ven_id,
        report_request_id,
        pending_id,
    )


async def due(conn: Conn, now: datetime, limit: int) -> list[AwaitingRow]:
    """Up to `limit` requests to look at by `now`, locked until the caller's transaction ends (other
    instances skip them). A request sent in an HTTP answer went out when it was stored; a purged queue row
    counts as sent when the request last changed."""
    rows = await conn.fetch(
        """
        SELECT r.ven_id, r.report_request_id, r.status, r.request::text AS request, r.resends,
               r.report_to_follow, r.cancel_request_id,
               CASE WHEN r.sent_pending_id IS NULL THEN r.created_at
                    WHEN p.id IS NULL THEN r.updated_at
                    ELSE p.delivered_at END AS sent_at,
               EXISTS (SELECT 1 FROM report_data d
                       WHERE d.ven_id = r.ven_id AND d.report_request_id = r.report_request_id) AS has_data
        FROM report_requests r
        LEFT JOIN pending_messages p ON p.id = r.sent_pending_id
        WHERE r.confirm_by <= $1
        ORDER BY r.confirm_by
        LIMIT $2
        FOR UPDATE OF r SKIP LOCKED
        """,
        now,
        limit,
    )
    return [
        AwaitingRow(
            awaiting=Awaiting(
                ven_id=row["ven_id"],
                status=row["status"],
                request=ReportRequest.model_validate_json(row["request"]),
                resends=row["resends"],
                sent_at=row["sent_at"],
                has_data=row["has_data"],
            ),
            report_to_follow=row["report_to_follow"],
            cancel_request_id=row["cancel_request_id"],
        )
        for row in rows
    ]


async def settle(conn: Conn, report_request_ids: Sequence[str]) -> None:
    if not report_request_ids:
        return
    await conn.execute(
        "UPDATE report_requests SET confirm_by = NULL WHERE report_request_id = ANY($1::text[])",
        list(report_request_ids),
    )


async def look_again(conn: Conn, looks: Sequence[tuple[str, datetime]]) -> None:
    """Each (reportRequestID, when to look at it next)."""
    if not looks:
        return
    await conn.execute(
        """
        UPDATE report_requests r SET confirm_by = l.at
        FROM unnest($1::text[], $2::timestamptz[]) AS l(report_request_id, at)
        WHERE r.report_request_id = l.report_request_id
        """,
        [report_request_id for report_request_id, _ in looks],
        [at for _, at in looks],
    )


async def sent_again(conn: Conn, report_request_id: str, pending_id: int | None, look_at: datetime) -> None:
    """Counted as sent again; `pending_id` None: a copy under the same dedup key was already queued."""
    await conn.execute(
        """
        UPDATE report_requests
        SET resends = resends + 1, sent_pending_id = COALESCE($2, sent_pending_id), confirm_by = $3
        WHERE report_request_id = $1
        """,
        report_request_id,
        pending_id,
        look_at,
    )


async def give_up(conn: Conn, report_request_ids: Sequence[str], now: datetime) -> None:
    if not report_request_ids:
        return
    await conn.execute(
        "UPDATE report_requests SET confirm_by = NULL, unconfirmed_at = $2 WHERE report_request_id = ANY($1::text[])",
        list(report_request_ids),
        now,
    )
