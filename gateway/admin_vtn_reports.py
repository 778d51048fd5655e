"""Admin API for the VTN's own reports (VTN -> VEN): the METADATA it offers, republishing it to VENs, and the
requests VENs made for it. Every call travels to report_svc over `oadr.report.commands.v1`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from gateway.admin_commands import UNKNOWN_VEN, IdempotencyKey, send_command
from gateway.exchange import Requester
from shared import topics
from shared.contract.ven_traffic import ContractModel
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


def vtn_reports_router(requester: Requester, timeout_seconds: float) -> APIRouter:
    router = APIRouter(prefix="/vtn-reports", tags=["vtn reports"])

    async def ask(payload: ContractModel, ven_id: str | None, idempotency_key: str | None = None) -> ContractModel:
        return await send_command(
            requester, topics.REPORT_COMMANDS, "report service", timeout_seconds, payload, ven_id, idempotency_key
        )

    def outcome(answer: ContractModel) -> VtnReportOutcome:
        if not isinstance(answer, VtnReportOutcome):
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, "unexpected answer from the report service")
        if answer.status >= 400:
            raise HTTPException(answer.status, answer.detail)
        return answer

    @router.get("", response_model=list[Report])
    async def vtn_reports() -> list[Report]:
        """The METADATA reports the VTN offers VENs."""
        answer = await ask(ListVtnReports(), None)
        if not isinstance(answer, VtnReportCatalog):
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, "unexpected answer from the report service")
        return list(answer.reports)

    @router.post("/publish", status_code=202, responses=UNKNOWN_VEN)
    async def publish(body: PublishBody, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Queue the VTN's oadrRegisterReport for the next poll of the VENs named (every registered VEN if none)."""
        ven_id = body.ven_ids[0] if len(body.ven_ids) == 1 else None
        answer = outcome(await ask(PublishVtnReports(ven_ids=body.ven_ids), ven_id, idempotency_key))
        return JSONResponse(answer.model_dump(mode="json", exclude={"kind"}), status_code=answer.status)

    @router.get("/{ven_id}/requests", response_model=list[VtnReportRequestView], responses=UNKNOWN_VEN)
    async def requests(ven_id: str) -> list[VtnReportRequestView]:
        """The VEN's requests for the VTN's reports, with status and when the next report is due."""
        return list(outcome(await ask(ListVtnReportRequests(ven_id=ven_id), ven_id)).requests)

    return router
