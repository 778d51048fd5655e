"""The operators' JSON API (its own port): VENs, their registration and presence, and commands on them.

Every command goes to the owning service over Kafka, exactly as a backend's command would; the API
waits for the outcome and maps its status onto HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, status
from fastapi.responses import JSONResponse

from gateway.admin.events import events_router
from gateway.admin.own_reports import vtn_reports_router
from gateway.admin.reports import reports_router
from gateway.admin.service_door import UNKNOWN_VEN, IdempotencyKey, ServiceDoor, outcome_response
from gateway.exchange import Requester
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
    registrations = ServiceDoor(requester, topics.REGISTRATION_COMMANDS, "registration service", timeout_seconds)
    reports = ServiceDoor(requester, topics.REPORT_COMMANDS, "report service", timeout_seconds)
    events = ServiceDoor(requester, topics.EVENT_COMMANDS, "event service", timeout_seconds)

    @api.get("/vens", response_model=list[VenView])
    async def list_vens(
        registered: bool | None = None,
        online: bool | None = None,
        ven_name_prefix: Annotated[str | None, Query(max_length=256)] = None,
        search: Annotated[
            str | None, Query(min_length=1, max_length=256, description="venID or venName prefix")
        ] = None,
        profile_name: Annotated[str | None, Query(max_length=64)] = None,
        transport_name: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[VenView]:
        """VENs by venID, each with its OpenADR profile (`profile_name` 2.0a or 2.0b); filters combine."""
        query = ListVens(
            registered=registered, online=online, ven_name_prefix=ven_name_prefix, search=search,
            profile_name=profile_name, transport_name=transport_name, limit=limit, offset=offset,
        )  # fmt: skip
        return list((await registrations.ask(query, VenList)).vens)

    @api.get("/vens/{ven_id}", response_model=VenView, responses=UNKNOWN_VEN)
    async def get_ven(ven_id: str) -> VenView:
        outcome = await registrations.ask(GetVen(ven_id=ven_id), OperatorOutcome, ven_id=ven_id)
        if outcome.ven is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, outcome.detail)
        return outcome.ven

    @api.post("/vens", status_code=201)
    async def provision_ven(command: ProvisionVen, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Pre-provision a 2.0b VEN by venName and/or certificate fingerprint (optionally with its venID); or
        provision a 2.0a VEN (`profile_name` "2.0a"), in force at once: its venID, its certificate fingerprint,
        and `transport_address` if the VTN pushes to it (else it pulls)."""
        return outcome_response(
            await registrations.ask(command, OperatorOutcome, ven_id=command.ven_id, idempotency_key=idempotency_key)
        )

    @api.post("/vens/{ven_id}/cancel-registration", status_code=202, responses=UNKNOWN_VEN)
    async def cancel_registration(ven_id: str, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Queue oadrCancelPartyRegistration for the VEN's next poll."""
        command = CancelVenRegistration(ven_id=ven_id)
        return outcome_response(
            await registrations.ask(command, OperatorOutcome, ven_id=ven_id, idempotency_key=idempotency_key)
        )

    @api.post("/vens/{ven_id}/request-reregistration", status_code=202, responses=UNKNOWN_VEN)
    async def request_reregistration(ven_id: str, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Queue oadrRequestReregistration for the VEN's next poll."""
        command = RequestVenReregistration(ven_id=ven_id)
        return outcome_response(
            await registrations.ask(command, OperatorOutcome, ven_id=ven_id, idempotency_key=idempotency_key)
        )

    api.include_router(reports_router(reports))
    api.include_router(vtn_reports_router(reports))
    api.include_router(events_router(events))
    for router in more_routes:
        api.include_router(router)
    app.include_router(api)
    return app
