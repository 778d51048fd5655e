"""Admin API for reports: what a VEN offers, report requests (made, listed, cancelled) and stored data.

Every call travels to report_svc over `oadr.report.commands.v1`, exactly as a backend's would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from gateway.admin_commands import UNKNOWN_VEN, IdempotencyKey, send_command
from gateway.exchange import Requester
from shared import topics
from shared.contract.reports import (
    AvailableReports,
    CancelReportRequest,
    ListAvailableReports,
    ListReportRequests,
    QueryReportData,
    ReportData,
    ReportDataPage,
    ReportOutcome,
    ReportRequestView,
    RequestReport,
)
from shared.contract.ven_traffic import ContractModel
from shared.oadr.period import Period
from shared.oadr.report_parts import Report



class ReportRequestBody(BaseModel):
    """A report to request: periodic telemetry (granularity, report_back_duration) or one-shot history
    (report_interval, report_back_duration zero). Durations as ISO 8601 ("PT1M") or seconds."""

    model_config = ConfigDict(extra="forbid")

    report_specifier_id: str
    r_ids: tuple[str, ...] = ()
    granularity: timedelta = timedelta(0)
    report_back_duration: timedelta = timedelta(0)
    report_interval: Period | None = None


def reports_router(requester: Requester, timeout_seconds: float) -> APIRouter:
    router = APIRouter(prefix="/reports", tags=["reports"])

    async def ask(payload: ContractModel, ven_id: str, idempotency_key: str | None = None) -> ContractModel:
        """The report service's answer; a refusal (e.g. 404 for an unknown VEN) becomes that HTTP error."""
        answer = await send_command(
            requester, topics.REPORT_COMMANDS, "report service", timeout_seconds, payload, ven_id, idempotency_key
        )
        if isinstance(answer, ReportOutcome) and answer.status >= 400:
            raise HTTPException(answer.status, answer.detail)
        return answer

    def outcome(answer: ContractModel) -> ReportOutcome:
        if not isinstance(answer, ReportOutcome):
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, "unexpected answer from the report service")
        return answer

    @router.get("/{ven_id}/available", response_model=list[Report], responses=UNKNOWN_VEN)
    async def available_reports(ven_id: str) -> list[Report]:
        """The reports (METADATA) the VEN offered in its latest oadrRegisterReport."""
        answer = await ask(ListAvailableReports(ven_id=ven_id), ven_id)
        if not isinstance(answer, AvailableReports):
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, "unexpected answer from the report service")
        return list(answer.reports)

    @router.get("/{ven_id}/requests", response_model=list[ReportRequestView], responses=UNKNOWN_VEN)
    async def report_requests(ven_id: str) -> list[ReportRequestView]:
        """Every report request made of the VEN, with its status."""
        return list(outcome(await ask(ListReportRequests(ven_id=ven_id), ven_id)).requests)

    @router.post("/{ven_id}/requests", status_code=202, responses=UNKNOWN_VEN)
    async def request_report(ven_id: str, body: ReportRequestBody, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Queue oadrCreateReport for the VEN's next poll."""
        command = RequestReport(ven_id=ven_id, **body.model_dump())
        answer = outcome(await ask(command, ven_id, idempotency_key))
        return JSONResponse(answer.model_dump(mode="json", exclude={"kind"}), status_code=answer.status)

    @router.post("/{ven_id}/requests/{report_request_id}/cancel", status_code=202, responses=UNKNOWN_VEN)
    async def cancel_report(
        ven_id: str, report_request_id: str, report_to_follow: bool = False, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Queue oadrCancelReport for the VEN's next poll."""
        command = CancelReportRequest(ven_id=ven_id, report_request_id=report_request_id, report_to_follow=report_to_follow)
        answer = outcome(await ask(command, ven_id, idempotency_key))
        return JSONResponse(answer.model_dump(mode="json", exclude={"kind"}), status_code=answer.status)

    @router.get("/{ven_id}/data", response_model=list[ReportData], responses=UNKNOWN_VEN)
    async def report_data(
        ven_id: str,
        r_id: str | None = None,
        report_request_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    ) -> list[ReportData]:
        """Stored report data, ordered by dtstart, with dtstart in [start, end)."""
        query = QueryReportData(
            ven_id=ven_id, r_id=r_id, report_request_id=report_request_id, start=start, end=end, limit=limit
        )
        answer = await ask(query, ven_id)
        if not isinstance(answer, ReportDataPage):
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, "unexpected answer from the report service")
        return list(answer.records)

    return router
