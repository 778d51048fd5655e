"""Admin API for reports: what a VEN offers, report requests (made, listed, cancelled) and stored data.

Every call travels to report_svc over `oadr.report.commands.v1`, exactly as a backend's would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from gateway.admin.service_door import UNKNOWN_VEN, IdempotencyKey, ServiceDoor, outcome_response
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


def reports_router(report_service: ServiceDoor) -> APIRouter:
    router = APIRouter(prefix="/reports", tags=["reports"])

    @router.get("/{ven_id}/available", response_model=list[Report], responses=UNKNOWN_VEN)
    async def available_reports(ven_id: str) -> list[Report]:
        """The reports (METADATA) the VEN offered in its latest oadrRegisterReport."""
        return list(
            (await report_service.ask(ListAvailableReports(ven_id=ven_id), AvailableReports, ven_id=ven_id)).reports
        )

    @router.get("/{ven_id}/requests", response_model=list[ReportRequestView], responses=UNKNOWN_VEN)
    async def report_requests(ven_id: str) -> list[ReportRequestView]:
        """Every report request made of the VEN, with its status."""
        return list(
            (await report_service.ask(ListReportRequests(ven_id=ven_id), ReportOutcome, ven_id=ven_id)).requests
        )

    @router.post("/{ven_id}/requests", status_code=202, responses=UNKNOWN_VEN)
    async def request_report(
        ven_id: str, body: ReportRequestBody, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Queue oadrCreateReport for the VEN's next poll."""
        command = RequestReport(ven_id=ven_id, **body.model_dump())
        return outcome_response(
            await report_service.ask(command, ReportOutcome, ven_id=ven_id, idempotency_key=idempotency_key)
        )

    @router.post("/{ven_id}/requests/{report_request_id}/cancel", status_code=202, responses=UNKNOWN_VEN)
    async def cancel_report(
        ven_id: str, report_request_id: str, report_to_follow: bool = False, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Queue oadrCancelReport for the VEN's next poll."""
        command = CancelReportRequest(
            ven_id=ven_id, report_request_id=report_request_id, report_to_follow=report_to_follow
        )
        return outcome_response(
            await report_service.ask(command, ReportOutcome, ven_id=ven_id, idempotency_key=idempotency_key)
        )

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
        return list((await report_service.ask(query, ReportDataPage, ven_id=ven_id)).records)

    return router
