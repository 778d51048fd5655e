"""Report commands and queries from operators (admin API) and backends (Kafka): what a VEN offers, report
requests made and cancelled on demand, and the stored data. Each is about one VEN: an unknown venID is
answered 404."""

from __future__ import annotations

from report_svc.confirmations import store as confirmation_store
from report_svc.confirmations.store import AwaitedTable
from report_svc.ven_reports import store
from report_svc.ven_reports.report_data import RequestStatus
from report_svc.ven_reports.requests_to_vens import (
    RequestRefused,
    build_request,
    cancel_report,
    create_report,
    data_report_name,
)
from shared.contract.envelope import Envelope, Payload
from shared.contract.reports import (
    AvailableReports,
    CancelReportRequest,
    ListAvailableReports,
    ListReportRequests,
    QueryReportData,
    ReportDataPage,
    ReportOutcome,
    RequestReport,
)
from shared.db import pending
from shared.db.connection import Conn
from shared.db.vens import is_registered, unknown_vens
from shared.oadr.messages import VtnMessage

QUERIES = (ListAvailableReports, ListReportRequests, QueryReportData)


async def handle_query(conn: Conn, envelope: Envelope) -> Payload | None:
    query = envelope.payload
    if isinstance(query, QUERIES) and (unknown := await unknown_vens(conn, [query.ven_id])) is not None:
        return ReportOutcome(status=404, detail=unknown)
    if isinstance(query, ListAvailableReports):
        return AvailableReports(ven_id=query.ven_id, reports=tuple(await store.offers(conn, query.ven_id)))
    if isinstance(query, ListReportRequests):
        return ReportOutcome(status=200, detail="OK", requests=tuple(await store.request_views(conn, query.ven_id)))
    if isinstance(query, QueryReportData):
        return ReportDataPage(records=tuple(await store.query_data(conn, query)))
    return None


async def handle_command(conn: Conn, envelope: Envelope) -> ReportOutcome | None:
    command = envelope.payload
    if isinstance(command, (RequestReport, CancelReportRequest)):
        if (unknown := await unknown_vens(conn, [command.ven_id])) is not None:
            return ReportOutcome(status=404, detail=unknown)
    if isinstance(command, RequestReport):
        return await _request(conn, command)
    if isinstance(command, CancelReportRequest):
        return await _cancel(conn, command)
    return None


async def _request(conn: Conn, command: RequestReport) -> ReportOutcome:
    if not await is_registered(conn, command.ven_id):
        return ReportOutcome(status=404, detail="no registered VEN with this venID")
    metadata = await store.offer(conn, command.ven_id, command.report_specifier_id)
    if metadata is None:
        return ReportOutcome(status=404, detail="the VEN offers no report with this reportSpecifierID")
    try:
        request = build_request(
            metadata,
            r_ids=command.r_ids,
            granularity=command.granularity,
            report_back_duration=command.report_back_duration,
            report_interval=command.report_interval,
        )
    except RequestRefused as refused:
        return ReportOutcome(status=refused.status, detail=refused.detail)
    await store.insert_request(conn, command.ven_id, request, data_report_name(metadata.report_name), {})
    await _queue(
        conn, command.ven_id, request.report_request_id, create_report(command.ven_id, [request]), "create-report"
    )
    view = await store.request_view(conn, command.ven_id, request.report_request_id)
    return ReportOutcome(
        status=202, detail="oadrCreateReport queued for the VEN's next poll", requests=(view,) if view else ()
    )


async def _cancel(conn: Conn, command: CancelReportRequest) -> ReportOutcome:
    view = await store.request_view(conn, command.ven_id, command.report_request_id, lock=True)
    if view is None:
        return ReportOutcome(status=404, detail="no such report request for this VEN")
    if view.status in (RequestStatus.CANCEL_REQUESTED, RequestStatus.CANCELLED):
        return ReportOutcome(status=409, detail=f"the report request is {view.status}", requests=(view,))
    message = cancel_report(command.ven_id, [command.report_request_id], command.report_to_follow)
    await store.mark_cancel_requested(
        conn, command.ven_id, command.report_request_id, message.request_id, command.report_to_follow
    )
    await _queue(conn, command.ven_id, command.report_request_id, message, "cancel-report")
    updated = await store.request_view(conn, command.ven_id, command.report_request_id)
    return ReportOutcome(
        status=202, detail="oadrCancelReport queued for the VEN's next poll", requests=(updated,) if updated else ()
    )


async def _queue(conn: Conn, ven_id: str, report_request_id: str, message: VtnMessage, kind: str) -> None:
    """Queue a message about the request for the VEN's next poll; it then awaits the VEN's confirmation."""
    pending_id = await pending.enqueue(conn, ven_id, message, dedup_key=f"{kind}:{report_request_id}")
    if pending_id is not None:
        await confirmation_store.await_confirmation(conn, AwaitedTable.REQUESTS, ven_id, report_request_id, pending_id)
