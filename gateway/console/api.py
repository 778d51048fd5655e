"""Admin API routes the console needs and the API lacked: who am I, the fleet (JSON and a live stream),
a VEN's online history and memberships, the audit trail, and the named operators (admin only).

They sit under /api/v1 beside the other admin routes and take the same credentials (access.py); the console
reads and changes nothing in any other way.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.console import credentials
from gateway.console.access import AdminCaller, Authenticator, Caller
from gateway.console.audit import AuditEntry, AuditRecorder
from gateway.console.fleet import FleetSummary
from gateway.console.fleet_feed import FleetFeed
from gateway.console.queries import ServiceQueries
from gateway.console.roles import GRANTABLE_ROLES, Role
from shared.contract.events import MembershipView
from shared.contract.operator import PresenceHistory

OPERATOR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class WhoAmI(BaseModel):
    name: str
    role: Role
    via: str


class NewOperator(BaseModel):
    """A named operator to create: the answer carries its access token, shown this once."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=OPERATOR_NAME.pattern, description="letters, digits and . _ @ -, up to 64")
    role: Role = Role.VIEWER


class OperatorView(BaseModel):
    name: str
    role: Role
    created_at: str
    created_by: str


class IssuedOperatorToken(BaseModel):
    name: str
    role: Role
    token: str


def console_api_router(
    authenticator: Authenticator, queries: ServiceQueries, feed: FleetFeed, recorder: AuditRecorder
) -> APIRouter:
    router = APIRouter(tags=["console"])

    @router.get("/whoami", response_model=WhoAmI)
    async def whoami(principal: Caller) -> WhoAmI:
        """The credential's name and role."""
        return WhoAmI(name=principal.name, role=principal.role, via=principal.via)

    @router.get("/fleet", response_model=FleetSummary)
    async def fleet(_: Caller) -> FleetSummary:
        """VENs registered, online and offline (by profile and transport), events far/near/active, report
        intervals and VENs' answers per minute."""
        return feed.summary()

    @router.get("/fleet/stream", response_class=StreamingResponse)
    async def fleet_stream(_: Caller) -> StreamingResponse:
        """The fleet summary as server-sent events (`event: fleet`), pushed as it changes."""

        async def stream() -> AsyncIterator[str]:
            async for summary in feed.summaries():
                yield ": keep-alive\n\n" if summary is None else f"event: fleet\ndata: {summary.model_dump_json()}\n\n"

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    @router.get("/vens/{ven_id}/presence", response_model=PresenceHistory)
    async def presence(ven_id: str, _: Caller, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> PresenceHistory:
        """The VEN's latest online/offline transitions, newest first."""
        return await queries.presence_history(ven_id, limit)

    @router.get("/vens/{ven_id}/memberships", response_model=MembershipView)
    async def memberships(ven_id: str, _: Caller) -> MembershipView:
        """The groups, resources and parties the VEN belongs to."""
        return await queries.memberships(ven_id)

    @router.get("/audit", response_model=list[AuditEntry])
    async def audit(
        _: Caller,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        before: Annotated[int | None, Query(ge=1, description="entries older than this id (paging)")] = None,
        actor: Annotated[str | None, Query(max_length=64)] = None,
    ) -> list[AuditEntry]:
        """Every change made on the admin port, newest first, with who made it and its HTTP status."""
        return await recorder.entries(limit, before, actor)

    @router.get("/operators", response_model=list[OperatorView])
    async def operators(_: AdminCaller) -> list[OperatorView]:
        """The named operators (admin only)."""
        return [
            OperatorView(name=o.name, role=o.role, created_at=o.created_at.isoformat(), created_by=o.created_by)
            for o in await authenticator.store.active_operators()
        ]

    @router.post("/operators", status_code=201, response_model=IssuedOperatorToken)
    async def add_operator(body: NewOperator, principal: AdminCaller) -> JSONResponse:
        """Create a named operator with a role; the answer holds its access token, which is never shown again."""
        if body.role not in GRANTABLE_ROLES:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "a named operator is a viewer or an operator")
        issued = credentials.issue_token()
        if not await authenticator.store.add_operator(
            issued.operator_id, body.name, body.role, issued.token_hash, principal.name
        ):
            raise HTTPException(status.HTTP_409_CONFLICT, f"an operator named {body.name!r} exists already")
        answer = IssuedOperatorToken(name=body.name, role=body.role, token=issued.token)
        return JSONResponse(answer.model_dump(mode="json"), status_code=201, headers={"Cache-Control": "no-store"})

    @router.post("/operators/{name}/token", response_model=IssuedOperatorToken)
    async def replace_token(name: str, _: AdminCaller) -> JSONResponse:
        """Give the operator a new access token: the old one and its sessions stop working."""
        issued = credentials.issue_token()
        if not await authenticator.store.replace_token(name, issued.operator_id, issued.token_hash):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no operator named {name!r}")
        row = await authenticator.store.active_operator(issued.operator_id)
        assert row is not None
        answer = IssuedOperatorToken(name=name, role=row.role, token=issued.token)
        return JSONResponse(answer.model_dump(mode="json"), headers={"Cache-Control": "no-store"})

    @router.delete("/operators/{name}", status_code=204)
    async def disable_operator(name: str, _: AdminCaller) -> Response:
        """Disable the operator: its token and sessions stop working (a cached token within 30 s)."""
        if not await authenticator.store.disable_operator(name):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no operator named {name!r}")
        return Response(status_code=204)

    return router
