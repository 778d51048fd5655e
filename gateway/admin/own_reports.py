"""Admin API for the VTN's own reports (VTN -> VEN): the METADATA it offers, republishing it to VENs, and the
requests VENs made for it. Every call travels to report_svc over `oadr.report.commands.v1`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from gateway.admin.service_door import UNKNOWN_VEN, IdempotencyKey, ServiceDoor, outcome_response
from shared.contract.vtn_reports import (
    ListVtnReportRequests,
    ListVtnReports,
    PublishVtnReports,
    VtnReportCatalog,
    VtnReportOutcome,
    VtnReportRequestView,
)
from shared.oadr.report_parts import Report


class PublishBody(BaseModel):
    """The VENs to send the VTN's METADATA to; empty: every registered VEN."""

    model_config = ConfigDict(extra="forbid")

    ven_ids: tuple[str, ...] = ()


def vtn_reports_router(report_service: ServiceDoor) -> APIRouter:
    router = APIRouter(prefix="/vtn-reports", tags=["vtn reports"])

    @router.get("", response_model=list[Report])
    async def vtn_reports() -> list[Report]:
        """The METADATA reports the VTN offers VENs."""
        return list((await report_service.ask(ListVtnReports(), VtnReportCatalog)).reports)

    @router.post("/publish", status_code=202, responses=UNKNOWN_VEN)
    async def publish(body: PublishBody, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Queue the VTN's oadrRegisterReport for the next poll of the VENs named (every registered VEN if none)."""
        ven_id = body.ven_ids[0] if len(body.ven_ids) == 1 else None
        command = PublishVtnReports(ven_ids=body.ven_ids)
        return outcome_response(
            await report_service.ask(command, VtnReportOutcome, ven_id=ven_id, idempotency_key=idempotency_key)
        )

    @router.get("/{ven_id}/requests", response_model=list[VtnReportRequestView], responses=UNKNOWN_VEN)
    async def requests(ven_id: str) -> list[VtnReportRequestView]:
        """The VEN's requests for the VTN's reports, with status and when the next report is due."""
        query = ListVtnReportRequests(ven_id=ven_id)
        return list((await report_service.ask(query, VtnReportOutcome, ven_id=ven_id)).requests)

    return router
