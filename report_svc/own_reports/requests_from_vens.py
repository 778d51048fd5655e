"""The VTN's own reports (VTN -> VEN): offering the METADATA, and the VEN's messages about it.

- The VTN's oadrRegisterReport goes to a VEN on its next poll after registering (VTN_OFFER_REPORTS_ON_REGISTRATION)
  and whenever an operator republishes it; the VEN's oadrRegisteredReport is accepted, and report requests
  piggy-backed in it are handled as an oadrCreateReport whose oadrCreatedReport follows on the next poll.
- oadrCreateReport: every request must fit the VTN's METADATA (else an error and nothing is kept); answered
  with oadrCreatedReport listing all the VEN's pending requests of VTN reports.
- oadrCancelReport: stops the requests (with reportToFollow, after one last report); answered with
  oadrCanceledReport listing what is still pending. Unknown reportRequestIDs get 452 and nothing changes.
- oadrUpdatedReport acknowledges a report; a piggy-backed oadrCancelReport is honoured and its
  oadrCanceledReport follows on the next poll.
- Every acknowledgement (oadrRegisteredReport, oadrUpdatedReport, oadrResponse) must name, by requestID, a
  message the VTN sent that VEN; anything else is 452 and changes nothing (shared.ven_identity).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from report_svc.own_reports import messages as vtn_messages
from report_svc.own_reports import store as vtn_store
from report_svc.own_reports.catalog import RequestNotAccepted, VtnReport, check_requests
from report_svc.own_reports.schedule import first_plan, whole_seconds
from shared.contract.envelope import utcnow
from shared.db import pending
from shared.db.connection import Conn
from shared.oadr import answers
from shared.oadr.common import ResponseCode
from shared.oadr.messages import VtnMessage
from shared.oadr.registration import Response
from shared.oadr.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    UpdatedReport,
)
from shared.oadr.report_parts import ReportRequest

Clock = Callable[[], datetime]
_POLLED_ANSWERS = frozenset({"oadrCreatedReport", "oadrCanceledReport"})  # queued for a poll, then acknowledged
NOTHING_SENT = "no {} with this requestID was sent to this VEN"


async def offer_reports(conn: Conn, ven_id: str, catalog: Sequence[VtnReport], now: datetime, reason: str) -> str:
    """Queue the VTN's METADATA for the VEN's next poll; `reason` makes the queueing idempotent."""
    message = vtn_messages.register_report(ven_id, catalog, now)
    pending_id = await pending.enqueue(conn, ven_id, message, dedup_key=f"vtn-register-report:{reason}")
    if pending_id is not None:
        await vtn_store.record_registration(conn, ven_id, message.request_id, pending_id)
    return message.request_id


class VtnReportRequests:
    def __init__(self, catalog: Sequence[VtnReport], clock: Clock = utcnow) -> None:
        self._catalog = tuple(catalog)
        self._clock = clock

    @property
    def catalog(self) -> tuple[VtnReport, ...]:
        return self._catalog

    async def answer(self, conn: Conn, message: object, ven_id: str) -> VtnMessage | None:
        """The answer to a VEN's message about the VTN's reports; None if it is not one."""
        if isinstance(message, CreateReport):
            return await self._create(conn, message, ven_id)
        if isinstance(message, CancelReport):
            return await self._cancel(conn, message, ven_id)
        if isinstance(message, RegisteredReport):
            return await self._registered(conn, message, ven_id)
        if isinstance(message, UpdatedReport):
            return await self._updated(conn, message, ven_id)
        if isinstance(message, Response):
            # The VEN's acknowledgement of an oadrCreatedReport or oadrCanceledReport it fetched on a poll.
            request_id = message.response.request_id
            if not request_id or not await pending.sent_to(conn, ven_id, _POLLED_ANSWERS, request_id):
                description = NOTHING_SENT.format("oadrCreatedReport or oadrCanceledReport")
                return answers.response(ResponseCode.INVALID_ID, description, ven_id, request_id)
            return answers.response(ResponseCode.OK, "OK", ven_id, request_id)
        return None

    async def _accept(self, conn: Conn, ven_id: str, requests: Sequence[ReportRequest]) -> None:
        """Raises RequestNotAccepted, keeping nothing, unless every request fits the VTN's METADATA."""
        check_requests(self._catalog, requests)
        now = self._clock()
        await vtn_store.save_requests(conn, ven_id, [(r, first_plan(r.report_specifier, now)) for r in requests])

    async def _create(self, conn: Conn, message: CreateReport, ven_id: str) -> CreatedReport:
        try:
            await self._accept(conn, ven_id, message.report_requests)
        except RequestNotAccepted as refused:
            pending_now = await vtn_store.pending_ids(conn, ven_id)
            return vtn_messages.created_report_error(
                ven_id, message.request_id, refused.response_code, refused.description, pending_now
            )
        return vtn_messages.created_report(ven_id, message.request_id, await vtn_store.pending_ids(conn, ven_id))

    async def _cancel(self, conn: Conn, message: CancelReport, ven_id: str) -> CanceledReport:
        code, description = await self._apply_cancel(conn, message, ven_id)
        pending_now = await vtn_store.pending_ids(conn, ven_id)
        if code != ResponseCode.OK:
            return vtn_messages.canceled_report_error(ven_id, message.request_id, code, description, pending_now)
        return vtn_messages.canceled_report(ven_id, message.request_id, pending_now)

    async def _apply_cancel(self, conn: Conn, message: CancelReport, ven_id: str) -> tuple[int, str]:
        known = await vtn_store.known_ids(conn, ven_id, message.report_request_ids)
        unknown = [i for i in message.report_request_ids if i not in known]
        if unknown:
            return ResponseCode.INVALID_ID, f"no request for this VTN's reports with reportRequestID {unknown}"
        await vtn_store.cancel(
            conn, ven_id, message.report_request_ids, message.report_to_follow, whole_seconds(self._clock())
        )
        return ResponseCode.OK, "OK"

    async def _registered(self, conn: Conn, message: RegisteredReport, ven_id: str) -> Response:
        request_id = message.response.request_id or ""
        if not await vtn_store.acknowledge_registration(conn, ven_id, request_id):
            return answers.response(
                ResponseCode.INVALID_ID, "no oadrRegisterReport with this requestID", ven_id, request_id
            )
        if message.report_requests:
            try:
                await self._accept(conn, ven_id, message.report_requests)
                created = vtn_messages.created_report(ven_id, request_id, await vtn_store.pending_ids(conn, ven_id))
            except RequestNotAccepted as refused:
                created = vtn_messages.created_report_error(
                    ven_id,
                    request_id,
                    refused.response_code,
                    refused.description,
                    await vtn_store.pending_ids(conn, ven_id),
                )
            await pending.enqueue(conn, ven_id, created, dedup_key=f"vtn-created-report:{request_id}")
        return answers.response(ResponseCode.OK, "OK", ven_id, request_id)

    async def _updated(self, conn: Conn, message: UpdatedReport, ven_id: str) -> Response:
        request_id = message.response.request_id
        if not request_id or not await pending.sent_to(conn, ven_id, {"oadrUpdateReport"}, request_id):
            description = NOTHING_SENT.format("oadrUpdateReport")
            return answers.response(ResponseCode.INVALID_ID, description, ven_id, request_id)
        await vtn_store.acknowledge_report(conn, ven_id, request_id)
        cancel = message.cancel_report
        if cancel is not None:
            code, description = await self._apply_cancel(conn, cancel, ven_id)
            pending_now = await vtn_store.pending_ids(conn, ven_id)
            canceled = (
                vtn_messages.canceled_report(ven_id, cancel.request_id, pending_now)
                if code == ResponseCode.OK
                else vtn_messages.canceled_report_error(ven_id, cancel.request_id, code, description, pending_now)
            )
            await pending.enqueue(conn, ven_id, canceled, dedup_key=f"vtn-canceled-report:{cancel.request_id}")
        return answers.response(ResponseCode.OK, "OK", ven_id, request_id)
