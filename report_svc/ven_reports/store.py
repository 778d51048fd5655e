"""The report tables: offers (METADATA), the VTN's report requests, and the data received."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache

import asyncpg

from report_svc.ven_reports.publishing.lanes import lane_of
from report_svc.ven_reports.report_data import OPEN_STATUSES, RequestedReport, RequestStatus
from shared.contract.reports import QueryReportData, ReportData, ReportRequestView
from shared.db.connection import Conn
from shared.oadr.report_parts import Report, ReportRequest, ResourceStatus
from shared.oadr.units import ItemBase


async def replace_offers(conn: Conn, ven_id: str, reports: Sequence[Report]) -> None:
    """A VEN's oadrRegisterReport replaces everything it offered before."""
    await conn.execute("DELETE FROM ven_report_offers WHERE ven_id = $1", ven_id)
    await conn.executemany(
        "INSERT INTO ven_report_offers (ven_id, report_specifier_id, report_name, report) VALUES ($1, $2, $3, $4::jsonb)"
        " ON CONFLICT (ven_id, report_specifier_id) DO UPDATE SET report_name = EXCLUDED.report_name, report = EXCLUDED.report",
        [(ven_id, r.report_specifier_id, r.report_name, r.model_dump_json()) for r in reports],
    )


async def offers(conn: Conn, ven_id: str) -> list[Report]:
    rows = await conn.fetch(
        "SELECT report FROM ven_report_offers WHERE ven_id = $1 ORDER BY report_specifier_id", ven_id
    )
    return [Report.model_validate_json(row["report"]) for row in rows]


async def offer(conn: Conn, ven_id: str, report_specifier_id: str) -> Report | None:
    raw = await conn.fetchval(
        "SELECT report FROM ven_report_offers WHERE ven_id = $1 AND report_specifier_id = $2",
        ven_id,
        report_specifier_id,
    )
    return Report.model_validate_json(raw) if raw is not None else None


async def insert_request(
    conn: Conn, ven_id: str, request: ReportRequest, report_name: str | None, callbacks: Mapping[str, str]
) -> None:
    await conn.execute(
        """
        INSERT INTO report_requests
            (report_request_id, ven_id, report_specifier_id, report_name, request, status, callbacks, confirm_by)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, now())
        """,
        request.report_request_id,
        ven_id,
        request.report_specifier.report_specifier_id,
        report_name,
        request.model_dump_json(),
        RequestStatus.REQUESTED,
        json.dumps(dict(callbacks)),
    )


async def close_open_requests(conn: Conn, ven_id: str) -> list[str]:
    """A VEN registering its reports anew forgets earlier requests: close them on our side too."""
    rows = await conn.fetch(
        "UPDATE report_requests SET status = $2, report_to_follow = false, updated_at = now()"
        " WHERE ven_id = $1 AND status = ANY($3::text[]) RETURNING report_request_id",
        ven_id,
        RequestStatus.CANCELLED,
        sorted(OPEN_STATUSES),
    )
    return [row["report_request_id"] for row in rows]


@lru_cache(maxsize=65536)
def _parsed_request(stored: str) -> ReportRequest:
    """A stored request, parsed once: every oadrUpdateReport is checked against its request, and a request's
    JSON never changes once stored (its status lives in other columns). The models are immutable."""
    return ReportRequest.model_validate_json(stored)


def _requested(row: asyncpg.Record) -> RequestedReport:
    return RequestedReport(
        ven_id=row["ven_id"],
        report_name=row["report_name"],
        status=row["status"],
        report_to_follow=row["report_to_follow"],
        request=_parsed_request(row["request"]),
        callbacks=json.loads(row["callbacks"]),
    )


async def requested(conn: Conn, report_request_ids: Sequence[str]) -> dict[str, RequestedReport]:
    rows = await conn.fetch(
        "SELECT ven_id, report_name, status, report_to_follow, request, callbacks FROM report_requests"
        " WHERE report_request_id = ANY($1::text[])",
        list(report_request_ids),
    )
    found = [_requested(row) for row in rows]
    return {r.report_request_id: r for r in found}


async def set_status(
    conn: Conn, ven_id: str, report_request_ids: Sequence[str], status: str, from_statuses: Sequence[str]
) -> int:
    result = await conn.execute(
        "UPDATE report_requests SET status = $3, updated_at = now()"
        " WHERE ven_id = $1 AND report_request_id = ANY($2::text[]) AND status = ANY($4::text[])",
        ven_id,
        list(report_request_ids),
        status,
        list(from_statuses),
    )
    return int(result.split()[-1])


async def mark_cancel_requested(
    conn: Conn, ven_id: str, report_request_id: str, cancel_request_id: str, report_to_follow: bool
) -> None:
    await conn.execute(
        "UPDATE report_requests SET status = $3, cancel_request_id = $4, report_to_follow = $5, updated_at = now()"
        ", resends = 0, unconfirmed_at = NULL, confirm_by = now()"
        " WHERE ven_id = $1 AND report_request_id = $2",
        ven_id,
        report_request_id,
        RequestStatus.CANCEL_REQUESTED,
        cancel_request_id,
        report_to_follow,
    )


async def confirm_cancel(conn: Conn, ven_id: str, cancel_request_id: str) -> list[str]:
    """The VEN's oadrCanceledReport answers our oadrCancelReport `cancel_request_id`."""
    rows = await conn.fetch(
        "UPDATE report_requests SET status = $3, updated_at = now()"
        " WHERE ven_id = $1 AND cancel_request_id = $2 AND status = $4 RETURNING report_request_id",
        ven_id,
        cancel_request_id,
        RequestStatus.CANCELLED,
        RequestStatus.CANCEL_REQUESTED,
    )
    return [row["report_request_id"] for row in rows]


def _view(row: asyncpg.Record) -> ReportRequestView:
    return ReportRequestView(
        ven_id=row["ven_id"],
        report_request_id=row["report_request_id"],
        report_specifier_id=row["report_specifier_id"],
        report_name=row["report_name"],
        status=row["status"],
        report_to_follow=row["report_to_follow"],
        request=ReportRequest.model_validate_json(row["request"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        resends=row["resends"],
        unconfirmed_at=row["unconfirmed_at"],
    )


_VIEW_COLUMNS = (
    "ven_id, report_request_id, report_specifier_id, report_name, status, report_to_follow, request, created_at,"
    " updated_at, resends, unconfirmed_at"
)


async def request_views(conn: Conn, ven_id: str) -> list[ReportRequestView]:
    rows = await conn.fetch(
        f"SELECT {_VIEW_COLUMNS} FROM report_requests WHERE ven_id = $1 ORDER BY created_at, report_request_id", ven_id
    )
    return [_view(row) for row in rows]


async def request_view(conn: Conn, ven_id: str, report_request_id: str, lock: bool = False) -> ReportRequestView | None:
    row = await conn.fetchrow(
        f"SELECT {_VIEW_COLUMNS} FROM report_requests WHERE ven_id = $1 AND report_request_id = $2"
        + (" FOR UPDATE" if lock else ""),
        ven_id,
        report_request_id,
    )
    return _view(row) if row is not None else None


async def insert_data(conn: Conn, records: Sequence[ReportData], lanes: int) -> list[ReportData]:
    """Store the records, each in its VEN's lane of `lanes`; return those that were new (a resent interval is
    neither stored nor returned)."""
    if not records:
        return []
    rows = await conn.fetch(
        """
        INSERT INTO report_data (ven_id, report_request_id, r_id, dtstart, duration, report_specifier_id, report_name,
                                 value, status, units, reading_type, received_at, lane)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::interval[], $6::text[],
                             $7::text[], $8::float8[], $9::jsonb[], $10::jsonb[], $11::text[], $12::timestamptz[],
                             $13::smallint[])
        ON CONFLICT DO NOTHING
        RETURNING report_request_id, r_id, dtstart
        """,
        [r.ven_id for r in records],
        [r.report_request_id for r in records],
        [r.r_id for r in records],
        [r.dtstart for r in records],
        [r.duration for r in records],
        [r.report_specifier_id for r in records],
        [r.report_name for r in records],
        [r.value if isinstance(r.value, float) else None for r in records],
        [r.value.model_dump_json() if isinstance(r.value, ResourceStatus) else None for r in records],
        [r.units.model_dump_json() if r.units is not None else None for r in records],
        [r.reading_type for r in records],
        [r.received_at for r in records],
        [lane_of(r.ven_id, lanes) for r in records],
    )
    new = {(row["report_request_id"], row["r_id"], row["dtstart"]) for row in rows}
    return [r for r in records if (r.report_request_id, r.r_id, r.dtstart) in new]


@lru_cache(maxsize=1024)
def _parsed_units(stored: str) -> ItemBase:
    """Units as stored with each record: a handful of distinct values, parsed once each."""
    return ItemBase.model_validate_json(stored)


def _record(row: asyncpg.Record) -> ReportData:
    value: float | ResourceStatus = (
        row["value"] if row["status"] is None else ResourceStatus.model_validate_json(row["status"])
    )
    return ReportData(
        ven_id=row["ven_id"],
        report_request_id=row["report_request_id"],
        report_specifier_id=row["report_specifier_id"],
        report_name=row["report_name"],
        r_id=row["r_id"],
        dtstart=row["dtstart"],
        duration=row["duration"],
        value=value,
        units=_parsed_units(row["units"]) if row["units"] is not None else None,
        reading_type=row["reading_type"],
        received_at=row["received_at"],
    )


async def query_data(conn: Conn, query: QueryReportData) -> list[ReportData]:
    rows = await conn.fetch(
        """
        SELECT ven_id, report_request_id, r_id, dtstart, duration, report_specifier_id, report_name, value, status,
               units, reading_type, received_at
        FROM report_data
        WHERE ven_id = $1
          AND ($2::text IS NULL OR r_id = $2)
          AND ($3::text IS NULL OR report_request_id = $3)
          AND ($4::timestamptz IS NULL OR dtstart >= $4)
          AND ($5::timestamptz IS NULL OR dtstart < $5)
        ORDER BY dtstart, r_id, report_request_id
        LIMIT $6
        """,
        query.ven_id,
        query.r_id,
        query.report_request_id,
        query.start,
        query.end,
        query.limit,
    )
    return [_record(row) for row in rows]


async def unpublished(conn: Conn, lanes: Sequence[int], limit: int) -> list[asyncpg.Record]:
    """The oldest rows of these lanes not yet on the report-data topic, with their sequence numbers and lanes
    (`record_encoding` reads them)."""
    return await conn.fetch(
        """
        SELECT seq, lane, ven_id, report_request_id, r_id, dtstart, duration, report_specifier_id, report_name,
               value, status, units, reading_type, received_at
        FROM report_data WHERE NOT published AND lane = ANY($1::smallint[]) ORDER BY seq LIMIT $2
        """,
        list(lanes),
        limit,
    )


async def give_lanes(conn: Conn, lanes: int, limit: int = 5000) -> int:
    """Give unpublished rows stored without a lane (before lanes, or by an older instance) their lane."""
    rows = await conn.fetch(
        "SELECT seq, ven_id FROM report_data WHERE NOT published AND lane IS NULL ORDER BY seq LIMIT $1", limit
    )
    if not rows:
        return 0
    await conn.execute(
        "UPDATE report_data SET lane = fix.lane FROM unnest($1::bigint[], $2::smallint[]) AS fix (seq, lane)"
        " WHERE report_data.seq = fix.seq AND report_data.lane IS NULL",
        [row["seq"] for row in rows],
        [lane_of(row["ven_id"], lanes) for row in rows],
    )
    return len(rows)


async def mark_published(conn: Conn, seqs: Sequence[int]) -> int:
    """Mark rows published; return how many were not marked yet."""
    if not seqs:
        return 0
    result = await conn.execute(
        "UPDATE report_data SET published = true WHERE seq = ANY($1::bigint[]) AND NOT published", list(seqs)
    )
    return int(result.split()[-1])
