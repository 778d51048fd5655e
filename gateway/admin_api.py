"""The operators' JSON API (its own port): VENs, their registration and presence, and commands on them.

Every command goes to the owning service over Kafka, exactly as a backend's command would; the API
waits for the outcome and maps its status onto HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, status
from fastapi.responses import JSONResponse

from shared import topics
from shared.contract.operator import (
    CancelVenRegistration,
    GetVen,
    ListVens,
    OperatorOutcome,
    ProvisionVen,
    RequestVenReregistration,
    VenList,
    VenView,
)
from shared.contract.ven_traffic import ContractModel
from gateway.admin_commands import UNKNOWN_VEN, IdempotencyKey, send_command
from gateway.admin_events import events_router
from gateway.admin_reports import reports_router
from gateway.admin_vtn_reports import vtn_reports_router
from gateway.exchange import Requester

API_PREFIX = "/api/v1"



def create_admin_app(
    requester: Requester,
    authorize: Callable[..., Awaitable[object]],
    timeout_seconds: float,
    more_routes: Sequence[APIRouter] = (),
) -> FastAPI:
    """The admin app. `authorize` (gateway.console.access.require) runs on every /api/v1 route, `more_routes`
    included: a bearer token (VTN_ADMIN_TOKEN or an operator's) or a console session, with the role the
    method needs."""
    app = FastAPI(
        title="OpenADR VTN admin API",
        description="Operate the VTN: VENs, registrations, presence. Bearer token required (VTN_ADMIN_TOKEN or an "
        "operator's access token); viewers read, operators also change.",
        version="1",
    )
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(authorize)], tags=["vens"])

    async def ask(
        payload: ContractModel, ven_id: str | None = None, idempotency_key: str | None = None
    ) -> OperatorOutcome | VenList:
        answer = await send_command(
            requester, topics.REGISTRATION_COMMANDS, "registration service", timeout_seconds, payload, ven_id, idempotency_key
        )
        if not isinstance(answer, (OperatorOutcome, VenList)):
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"unexpected answer {answer.kind}")  # type: ignore[attr-defined]
        return answer

    def outcome_response(outcome: OperatorOutcome | VenList) -> JSONResponse:
        assert isinstance(outcome, OperatorOutcome)
        if outcome.status >= 400:
            raise HTTPException(outcome.status, outcome.detail)
        return JSONResponse(outcome.model_dump(mode="json", exclude={"kind"}), status_code=outcome.status)

    @api.get("/vens", response_model=list[VenView])
    async def list_vens(
        registered: bool | None = None,
        online: bool | None = None,
        ven_name_prefix: Annotated[str | None, Query(max_length=256)] = None,
        search: Annotated[str | None, Query(min_length=1, max_length=256, description="venID or venName prefix")] = None,
        profile_name: Annotated[str | None, Query(max_length=64)] = None,
        transport_name: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[VenView]:
        result = await ask(
            ListVens(
                registered=registered, online=online, ven_name_prefix=ven_name_prefix, search=search,
                profile_name=profile_name, transport_name=transport_name, limit=limit, offset=offset,
            )  # fmt: skip
        )
        assert isinstance(result, VenList)
        return list(result.vens)

    @api.get("/vens/{ven_id}", response_model=VenView, responses=UNKNOWN_VEN)
    async def get_ven(ven_id: str) -> VenView:
        result = await ask(GetVen(ven_id=ven_id), ven_id)
        if not isinstance(result, OperatorOutcome) or result.ven is None:
            raise HTTPException(getattr(result, "status", 404), getattr(result, "detail", "no such VEN"))
        return result.ven

    @api.post("/vens", status_code=201)
    async def provision_ven(command: ProvisionVen, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Pre-provision a VEN by venName and/or certificate fingerprint (optionally with its venID)."""
        return outcome_response(await ask(command, command.ven_id, idempotency_key))

    @api.post("/vens/{ven_id}/cancel-registration", status_code=202, responses=UNKNOWN_VEN)
    async def cancel_registration(ven_id: str, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Queue oadrCancelPartyRegistration for the VEN's next poll."""
        return outcome_response(await ask(CancelVenRegistration(ven_id=ven_id), ven_id, idempotency_key))

    @api.post("/vens/{ven_id}/request-reregistration", status_code=202, responses=UNKNOWN_VEN)
    async def request_reregistration(ven_id: str, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Queue oadrRequestReregistration for the VEN's next poll."""
        return outcome_response(await ask(RequestVenReregistration(ven_id=ven_id), ven_id, idempotency_key))

    api.include_router(reports_router(requester, timeout_seconds))
    api.include_router(vtn_reports_router(requester, timeout_seconds))
    api.include_router(events_router(requester, timeout_seconds))
    for router in more_routes:
        api.include_router(router)
    app.include_router(api)
    return app
