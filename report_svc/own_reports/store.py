"""The tables of the VTN's own reports: METADATA sent to VENs, and VENs' requests for those reports."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from pydantic import TypeAdapter

from report_svc.own_reports.changes import Value
from report_svc.own_reports.schedule import Plan
from shared.contract.vtn_reports import VtnReportRequestView
from shared.db.connection import Conn
from shared.oadr.report_parts import ReportRequest

log = logging.getLogger(__name__)
LAST_VALUES: TypeAdapter[dict[str, Value]] = TypeAdapter(dict[str, Value])


class VtnRequestStatus:
    ACTIVE = "active"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


async def record_registration(conn: Conn, ven_id: str, request_id: str, pending_id: int) -> None:
    """The VTN's oadrRegisterReport `request_id` is queued for the VEN (as `pending_id`) and awaits its
    oadrRegisteredReport (report_svc.confirmations)."""
    await conn.execute(
        "INSERT INTO vtn_report_registrations (ven_id, request_id, sent_pending_id, confirm_by)"
        " VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING",
        ven_id,
        request_id,
        pending_id,
    )


async def acknowledge_registration(conn: Conn, ven_id: str, request_id: str) -> bool:
    """The VEN's oadrRegisteredReport answers our oadrRegisterReport `request_id`; False if we sent none."""
    found = await conn.fetchval(
        "UPDATE vtn_report_registrations SET acknowledged_at = coalesce(acknowledged_at, now())"
        " WHERE ven_id = $1 AND request_id = $2 RETURNING true",
        ven_id,
        request_id,
    )
    return bool(found)


async def registered_ven_ids(conn: Conn, ven_ids: Sequence[str]) -> list[str]:
    """The VENs staying registered (not being cancelled) among `ven_ids` (every such VEN when empty)."""
    rows = await conn.fetch(
        "SELECT ven_id FROM vens WHERE registration_staying(status) AND (cardinality($1::text[]) = 0 OR ven_id = ANY($1::text[]))"
        " ORDER BY ven_id",
        list(ven_ids),
    )
    return [row["ven_id"] for row in rows]


async def save_requests(conn: Conn, ven_id: str, plans: Sequence[tuple[ReportRequest, Plan]]) -> None:
    """Store accepted requests; a reportRequestID the VEN uses again replaces its earlier request."""
    await conn.executemany(
        """
        INSERT INTO vtn_report_requests (ven_id, report_request_id, report_specifier_id, request, status, next_report_at,
                                         covered_until)
        VALUES ($1, $2, $3, $4::jsonb, 'active', $5, $6)
        ON CONFLICT (ven_id, report_request_id) DO UPDATE
        SET report_specifier_id = EXCLUDED.report_specifier_id, request = EXCLUDED.request, status = 'active',
            next_report_at = EXCLUDED.next_report_at, covered_until = EXCLUDED.covered_until, reports_sent = 0,
            last_values = '{}'::jsonb, created_at = now(), updated_at = now(),
            confirm_by = NULL, resends = 0, unconfirmed_at = NULL
        """,
        [
            (
                ven_id,
                request.report_request_id,
                request.report_specifier.report_specifier_id,
                request.model_dump_json(),
                plan.next_report_at,
                plan.covered_until,
            )
            for request, plan in plans
        ],
    )


async def pending_ids(conn: Conn, ven_id: str) -> list[str]:
    """The VEN's requests with reports still to send (oadrPendingReports)."""
    rows = await conn.fetch(
        "SELECT report_request_id FROM vtn_report_requests WHERE ven_id = $1 AND next_report_at IS NOT NULL"
        " ORDER BY created_at, report_request_id",
        ven_id,
    )
    return [row["report_request_id"] for row in rows]


async def known_ids(conn: Conn, ven_id: str, report_request_ids: Sequence[str]) -> set[str]:
    rows = await conn.fetch(
        "SELECT report_request_id FROM vtn_report_requests WHERE ven_id = $1 AND report_request_id = ANY($2::text[])",
        ven_id,
        list(report_request_ids),
    )
    return {row["report_request_id"] for row in rows}


async def cancel(
    conn: Conn, ven_id: str, report_request_ids: Sequence[str], report_to_follow: bool, now: datetime
) -> None:
    """Stop the requests; with reportToFollow an active one still gets one last report, due now. Without it the
    VEN wants no more: a last report it did not acknowledge is not sent again."""
    await conn.execute(
        """
        UPDATE vtn_report_requests
        SET status = 'cancelled', updated_at = now(),
            next_report_at = CASE WHEN $3 AND status = 'active' THEN $4::timestamptz ELSE NULL END,
            confirm_by = CASE WHEN $3 THEN confirm_by ELSE NULL END
        WHERE ven_id = $1 AND report_request_id = ANY($2::text[]) AND status <> 'cancelled'
        """,
        ven_id,
        list(report_request_ids),
        report_to_follow,
        now,
    )


async def close_all(conn: Conn, ven_id: str) -> int:
    """The VEN registered anew or left: its requests of the VTN's reports end, and no report is sent again."""
    result = await conn.execute(
        "UPDATE vtn_report_requests SET status = 'cancelled', next_report_at = NULL, updated_at = now()"
        " WHERE ven_id = $1 AND status = 'active'",
        ven_id,
    )
    await conn.execute(
        "UPDATE vtn_report_requests SET confirm_by = NULL WHERE ven_id = $1 AND confirm_by IS NOT NULL", ven_id
    )
    return int(result.split()[-1])


@dataclass(frozen=True)
class DueRequest:
    ven_id: str
    request: ReportRequest
    status: str
    plan: Plan
    reports_sent: int
    created_at: datetime
    last_values: dict[str, Value]  # of on-change points (report_svc.own_reports.changes)
    last_sent_acknowledged: bool  # the VEN acknowledged the last report sent (oadrUpdatedReport)
    last_sent_delivered_at: datetime | None  # when that report went out on a poll (None: still queued, or none)
    last_sent_from: datetime | None  # where that report's span began


async def due(conn: Conn, now: datetime, limit: int) -> list[DueRequest]:
    """Requests whose next report is due, locked for this transaction (others skip them)."""
    rows = await conn.fetch(
        """
        SELECT r.ven_id, r.report_request_id, r.request, r.status, r.next_report_at, r.covered_until, r.reports_sent,
               r.created_at, r.last_values, r.last_sent_acknowledged, p.delivered_at AS last_sent_delivered_at,
               r.last_sent_from
        FROM vtn_report_requests r LEFT JOIN pending_messages p ON p.id = r.last_sent_pending_id
        WHERE r.next_report_at <= $1
        ORDER BY r.next_report_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED
        """,
        now,
        limit,
    )
    found = []
    for row in rows:
        try:
            request = ReportRequest.model_validate_json(row["request"])
            last_values = LAST_VALUES.validate_json(row["last_values"])
        except ValueError as exc:
            # A row no code of ours wrote: end it rather than block every report behind it.
            log.error(
                "unreadable VTN report request closed",
                extra={"action": "vtn_report_request_unreadable", "ven_id": row["ven_id"], "error": repr(exc)},
            )
            await conn.execute(
                "UPDATE vtn_report_requests SET status = 'cancelled', next_report_at = NULL, updated_at = now()"
                " WHERE ven_id = $1 AND report_request_id = $2",
                row["ven_id"],
                row["report_request_id"],
            )
            continue
        found.append(
            DueRequest(
                ven_id=row["ven_id"],
                request=request,
                status=row["status"],
                plan=Plan(next_report_at=row["next_report_at"], covered_until=row["covered_until"]),
                reports_sent=row["reports_sent"],
                created_at=row["created_at"],
                last_values=last_values,
                last_sent_acknowledged=row["last_sent_acknowledged"],
                last_sent_delivered_at=row["last_sent_delivered_at"],
                last_sent_from=row["last_sent_from"],
            )
        )
    return found


@dataclass(frozen=True)
class SentReport:
    request_id: str  # of the oadrUpdateReport, which the VEN's oadrUpdatedReport names
    pending_id: int  # its place in the VEN's queue
    span_from: datetime  # where the span of data it covers begins


async def advance(
    conn: Conn,
    ven_id: str,
    report_request_id: str,
    plan: Plan,
    sent: SentReport | None,
    last_values: dict[str, Value] | None = None,
) -> None:
    """Record the plan after a report (sent or, for want of data, skipped); a finished active one completes.
    `last_values`: the on-change points' values as of this report, when they changed. A report sent awaits the
    VEN's oadrUpdatedReport (report_svc.confirmations) in place of the one before it."""
    await conn.execute(
        """
        UPDATE vtn_report_requests
        SET next_report_at = $3, covered_until = $4, reports_sent = reports_sent + $5::int, updated_at = now(),
            status = CASE WHEN $3::timestamptz IS NULL AND status = 'active' THEN 'completed' ELSE status END,
            last_values = COALESCE($6::jsonb, last_values),
            last_sent_request_id = COALESCE($7, last_sent_request_id),
            last_sent_pending_id = COALESCE($8, last_sent_pending_id),
            last_sent_from = CASE WHEN $7::text IS NULL THEN last_sent_from ELSE $9 END,
            last_sent_acknowledged = CASE WHEN $7::text IS NULL THEN last_sent_acknowledged ELSE false END,
            confirm_by = CASE WHEN $7::text IS NULL THEN confirm_by ELSE now() END,
            resends = CASE WHEN $7::text IS NULL THEN resends ELSE 0 END,
            unconfirmed_at = CASE WHEN $7::text IS NULL THEN unconfirmed_at ELSE NULL END
        WHERE ven_id = $1 AND report_request_id = $2
        """,
        ven_id,
        report_request_id,
        plan.next_report_at,
        plan.covered_until,
        0 if sent is None else 1,
        None if last_values is None else LAST_VALUES.dump_json(last_values).decode(),
        None if sent is None else sent.request_id,
        None if sent is None else sent.pending_id,
        None if sent is None else sent.span_from,
    )


async def acknowledge_report(conn: Conn, ven_id: str, request_id: str) -> None:
    """The VEN's oadrUpdatedReport answers the VTN's oadrUpdateReport `request_id` (if it is a request's last):
    it is not sent again."""
    await conn.execute(
        "UPDATE vtn_report_requests SET last_sent_acknowledged = true, confirm_by = NULL"
        " WHERE ven_id = $1 AND last_sent_request_id = $2",
        ven_id,
        request_id,
    )


def _view(row: asyncpg.Record) -> VtnReportRequestView:
    return VtnReportRequestView(
        ven_id=row["ven_id"],
        report_request_id=row["report_request_id"],
        report_specifier_id=row["report_specifier_id"],
        status=row["status"],
        request=ReportRequest.model_validate_json(row["request"]),
        next_report_at=row["next_report_at"],
        covered_until=row["covered_until"],
        reports_sent=row["reports_sent"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        resends=row["resends"],
        unconfirmed_at=row["unconfirmed_at"],
    )


async def views(conn: Conn, ven_id: str) -> list[VtnReportRequestView]:
    rows = await conn.fetch(
        """
        SELECT ven_id, report_request_id, report_specifier_id, status, request, next_report_at, covered_until,
               reports_sent, created_at, updated_at, resends, unconfirmed_at
        FROM vtn_report_requests WHERE ven_id = $1 ORDER BY created_at, report_request_id
        """,
        ven_id,
    )
    return [_view(row) for row in rows]


async def purge_closed(conn: Conn, older_than: datetime) -> int:
    result = await conn.execute(
        "DELETE FROM vtn_report_requests WHERE next_report_at IS NULL AND updated_at < $1", older_than
    )
    return int(result.split()[-1])
