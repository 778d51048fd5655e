"""Answers to the EiReport messages a VEN sends.

VEN -> VTN reports: oadrRegisterReport stores the VEN's METADATA and answers with the requests the
operator's policy chooses; oadrCreatedReport and oadrCanceledReport move those requests along; every
oadrUpdateReport is checked against them, stored once, published interval by interval for backends and
handed to the operator's handlers. Messages about the VTN's own reports (oadrCreateReport, oadrCancelReport,
oadrRegisteredReport, oadrUpdatedReport from the VEN) go to report_svc.own_reports.requests_from_vens.
"""

from __future__ import annotations

from dataclasses import dataclass

from report_svc.own_reports.requests_from_vens import VtnReportRequests
from report_svc.ven_reports import store
from report_svc.ven_reports.openleadr_compat import callable_reference
from report_svc.ven_reports.policy import ReportPolicy, planned_requests
from report_svc.ven_reports.report_data import RequestStatus, never_requested
from report_svc.ven_reports.requests_to_vens import registered_report
from report_svc.ven_reports.updates.answers import checked_update
from report_svc.ven_reports.updates.handlers import UpdateHandlers
from shared.contract.envelope import Envelope, utcnow
from shared.contract.ven_traffic import VenReply
from shared.db.connection import Conn
from shared.db.vens import answer_registered
from shared.oadr import answers
from shared.oadr.common import ResponseCode
from shared.oadr.messages import VtnMessage
from shared.oadr.report import (
    CanceledReport,
    CreatedReport,
    RegisteredReport,
    RegisterReport,
    UpdatedReport,
    UpdateReport,
)

# oadrRegisterReport's answer carries the report requests the VTN makes: stale once the gateway stopped waiting.
ANSWERED_BY_DELIVERY = frozenset({"oadrRegisterReport"})


@dataclass(frozen=True)
class ReportConfig:
    policy: ReportPolicy
    handlers: UpdateHandlers
    vtn_reports: VtnReportRequests
    data_lanes: int  # partitions of the report-data topic (report_svc.ven_reports.publishing.lanes)


class ReportRequestHandler:
    def __init__(self, config: ReportConfig) -> None:
        self._config = config

    async def __call__(self, conn: Conn, envelope: Envelope) -> VenReply | None:
        return await answer_registered(conn, envelope, lambda message, ven_id: self._answer(conn, message, ven_id))

    async def _answer(self, conn: Conn, message: object, ven_id: str) -> VtnMessage:
        if isinstance(message, RegisterReport):
            return await self._register(conn, message, ven_id)
        if isinstance(message, UpdateReport):
            return await self._update(conn, message, ven_id)
        if isinstance(message, CreatedReport):
            # It acknowledges requests of this VEN's only; a VEN that could not create the reports says so in
            # its response, and the requests stay "requested".
            requested = await store.requested(conn, message.pending_report_request_ids)
            foreign = never_requested(ven_id, message.pending_report_request_ids, requested)
            if foreign:
                description = f"reportRequestID {foreign[0]} was never requested"
                return answers.response(ResponseCode.INVALID_ID, description, ven_id, message.response.request_id)
            if message.response.ok:
                await store.set_status(
                    conn, ven_id, message.pending_report_request_ids, RequestStatus.CREATED, [RequestStatus.REQUESTED]
                )
            return answers.response(ResponseCode.OK, "OK", ven_id, message.response.request_id)
        if isinstance(message, CanceledReport):
            if not await store.confirm_cancel(conn, ven_id, message.response.request_id or ""):
                return answers.response(ResponseCode.INVALID_ID, "no oadrCancelReport with this requestID", ven_id)
            return answers.response(ResponseCode.OK, "OK", ven_id, message.response.request_id)
        answer = await self._config.vtn_reports.answer(conn, message, ven_id)
        if answer is None:
            return answers.response(ResponseCode.BAD_REQUEST, "not an EiReport message", ven_id)
        return answer

    async def _register(self, conn: Conn, message: RegisterReport, ven_id: str) -> RegisteredReport:
        await store.close_open_requests(conn, ven_id)
        await store.replace_offers(conn, ven_id, message.reports)
        planned = await planned_requests(self._config.policy, ven_id, message.reports)
        for plan in planned:
            callbacks = plan.callbacks
            references = {r_id: ref for r_id, cb in callbacks.items() if (ref := callable_reference(cb)) is not None}
            await store.insert_request(conn, ven_id, plan.request, plan.report_name, references)
            for r_id, callback in callbacks.items():
                self._config.handlers.remember(plan.request.report_request_id, r_id, callback)
        return registered_report(message.request_id, ven_id, [plan.request for plan in planned])

    async def _update(self, conn: Conn, message: UpdateReport, ven_id: str) -> UpdatedReport:
        """One oadrUpdateReport (those arriving in numbers take report_svc.ven_reports.updates.batches)."""
        requested = await store.requested(conn, [r.report_request_id for r in message.reports])
        answer, records = checked_update(message, ven_id, requested, utcnow())
        new = await store.insert_data(conn, records, self._config.data_lanes)  # the relay publishes it once committed
        await self._config.handlers.deliver(new, requested)
        return answer
