"""Admin API for the VTN's own reports (VTN -> VEN): the METADATA it offers, republishing it to VENs, and the
requests VENs made for it. Every call travels to report_svc over `oadr.report.commands.v1`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from gateway.exchange import Requester
from shared import topics
from shared.bus.errors import BusError
from shared.contract.envelope import Envelope
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

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="A retry with the same key returns the first outcome."),
]


class PublishBody(BaseModel):
    """The VENs to send the VTN's METADATA to; empty: every registered VEN."""

    model_config = ConfigDict(extra="forbid")

    ven_ids: tuple[str, ...] = ()


def vtn_reports_router(requester: Requester, timeout_seconds: float) -> APIRouter:
    router = APIRouter(prefix="/vtn-reports", tags=["vtn reports"])

    async def ask(payload: ContractModel, ven_id: str | None, idempotency_key: str | None = None) -> ContractModel:
        envelope = Envelope(ven_id=ven_id, payload=payload)  # type: ignore[arg-type]
        if idempotency_key:
            envelope = envelope.model_copy(update={"message_id": f"admin:{payload.kind}:{idempotency_key}"})  # type: ignore[attr-defined]
        try:
            reply = await requester.request(topics.REPORT_COMMANDS, envelope, timeout_seconds)
        except BusError as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"report service unavailable: {exc}") from None
        return reply.payload

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

    @router.post("/publish", status_code=202)
    async def publish(body: PublishBody, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Queue the VTN's oadrRegisterReport for the next poll of the VENs named (every registered VEN if none)."""
        ven_id = body.ven_ids[0] if len(body.ven_ids) == 1 else None
        answer = outcome(await ask(PublishVtnReports(ven_ids=body.ven_ids), ven_id, idempotency_key))
        return JSONResponse(answer.model_dump(mode="json", exclude={"kind"}), status_code=answer.status)

    @router.get("/{ven_id}/requests", response_model=list[VtnReportRequestView])
    async def requests(ven_id: str) -> list[VtnReportRequestView]:
        """The VEN's requests for the VTN's reports, with status and when the next report is due."""
        return list(outcome(await ask(ListVtnReportRequests(ven_id=ven_id), ven_id)).requests)

    return router
