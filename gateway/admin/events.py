"""Admin API for events: create (one, or a batch at once), list, get, modify, cancel and purge events, see who
answered what, set the groups/resources/parties a VEN belongs to, and list VENs' opts.

Every call travels to event_svc over `oadr.event.commands.v1`, exactly as a backend's would.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gateway.admin.service_door import UNKNOWN_VEN, IdempotencyKey, ServiceDoor
from shared.contract.events import (
    CancelEvent,
    CreateEvent,
    CreateEvents,
    EventOutcome,
    EventView,
    GetEvent,
    ListEvents,
    ListOpts,
    ModifyEvent,
    OptView,
    PurgeEvent,
    SetVenMemberships,
)
from shared.contract.ven_traffic import ContractModel
from shared.oadr.event import ActivePeriod, EventStatus, ResponseRequired
from shared.oadr.signal import EventBaseline, EventSignal
from shared.oadr.target import Target


class EventChanges(BaseModel):
    """What to change in an event; fields left out stay as they are. Durations as ISO 8601 or seconds."""

    model_config = ConfigDict(extra="forbid")

    modification_reason: str | None = None
    priority: int | None = Field(default=None, ge=0)
    test_event: bool | None = None
    vtn_comment: str | None = None
    active_period: ActivePeriod | None = None
    signals: tuple[EventSignal, ...] | None = None
    baseline: EventBaseline | None = None
    targets: Target | None = None
    response_required: ResponseRequired | None = None


class Memberships(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_ids: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    party_ids: tuple[str, ...] = ()


# What a batch of events may be refused with besides 422 (a body that does not validate, its position in
# `loc`; or an event that cannot be created, its position in the detail: `events[i]: why`).
BATCH_REFUSALS: dict[int | str, dict[str, Any]] = {
    **UNKNOWN_VEN,
    409: {"description": "An event with a given event_id exists (the detail names its position, `events[i]`)"},
    413: {"description": "More events than VTN_EVENT_BATCH_MAX, or more than fit in one answer"},
}


def events_router(event_service: ServiceDoor) -> APIRouter:
    router = APIRouter(tags=["events"])

    async def ask(
        payload: ContractModel,
        ven_id: str | None = None,
        idempotency_key: str | None = None,
        event_id: str | None = None,
    ) -> EventOutcome:
        return await event_service.ask(
            payload, EventOutcome, ven_id=ven_id, event_id=event_id, idempotency_key=idempotency_key
        )

    def one_event(outcome: EventOutcome) -> JSONResponse:
        body = outcome.events[0].model_dump(mode="json") if outcome.events else {"detail": outcome.detail}
        return JSONResponse(body, status_code=outcome.status)

    @router.post("/events", status_code=201, response_model=EventView, responses=UNKNOWN_VEN)
    async def create_event(command: CreateEvent, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Create an event; its targeted VENs get it on their next poll. 422 lists what makes it impossible."""
        return one_event(await ask(command, idempotency_key=idempotency_key, event_id=command.event_id))

    @router.post("/event-batches", status_code=201, response_model=list[EventView], responses=BATCH_REFUSALS)
    async def create_events(command: CreateEvents, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Create several events together (a program-wide dispatch), each body as `POST /events` takes it: all of
        them or none, and every targeted VEN gets its full set with all of them in one go. The answer lists the
        created events in the order given; a refusal names the first event that cannot be created
        (`events[i]: why`)."""
        outcome = await ask(command, idempotency_key=idempotency_key)
        body = [view.model_dump(mode="json") for view in outcome.events]
        return JSONResponse(body, status_code=outcome.status)

    @router.get("/events", response_model=list[EventView], responses=UNKNOWN_VEN)
    async def list_events(
        ven_id: str | None = None,
        event_status: Annotated[EventStatus | None, Query(alias="status")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[EventView]:
        """Events, newest first, optionally only those targeting `ven_id` and/or in `status` now."""
        outcome = await ask(ListEvents(ven_id=ven_id, status=event_status, limit=limit, offset=offset), ven_id)
        return list(outcome.events)

    @router.get("/events/{event_id}", response_model=EventView)
    async def get_event(event_id: str) -> EventView:
        """The event as VENs get it now, with every targeted VEN's answer (or none yet)."""
        return (await ask(GetEvent(event_id=event_id), event_id=event_id)).events[0]

    @router.patch("/events/{event_id}", response_model=EventView, responses=UNKNOWN_VEN)
    async def modify_event(
        event_id: str, changes: EventChanges, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Change an event (modificationNumber + 1); the VENs get the new version on their next poll."""
        command = ModifyEvent(event_id=event_id, **changes.model_dump(exclude_none=True))
        return one_event(await ask(command, idempotency_key=idempotency_key, event_id=event_id))

    @router.post("/events/{event_id}/cancel", response_model=EventView)
    async def cancel_event(
        event_id: str, reason: str | None = None, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Cancel an event (eventStatus cancelled, modificationNumber + 1), delivered like any change."""
        return one_event(
            await ask(
                CancelEvent(event_id=event_id, modification_reason=reason),
                idempotency_key=idempotency_key,
                event_id=event_id,
            )
        )

    @router.delete("/events/{event_id}")
    async def purge_event(event_id: str, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Remove an event altogether: it leaves every VEN's set."""
        outcome = await ask(PurgeEvent(event_id=event_id), idempotency_key=idempotency_key, event_id=event_id)
        return JSONResponse({"detail": outcome.detail}, status_code=outcome.status)

    @router.put("/vens/{ven_id}/memberships", responses=UNKNOWN_VEN)
    async def set_memberships(ven_id: str, body: Memberships, idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Replace the groups, resources and parties the VEN belongs to (targeting by groupID etc.)."""
        command = SetVenMemberships(ven_id=ven_id, **body.model_dump())
        outcome = await ask(command, ven_id, idempotency_key)
        memberships = outcome.memberships.model_dump(mode="json") if outcome.memberships else {}
        return JSONResponse(memberships, status_code=outcome.status)

    @router.get("/opts", response_model=list[OptView], responses=UNKNOWN_VEN)
    async def list_opts(ven_id: str | None = None, event_id: str | None = None) -> list[OptView]:
        """VENs' opts (oadrCreateOpt), newest first, cancelled ones with `cancelled_at`."""
        return list((await ask(ListOpts(ven_id=ven_id, event_id=event_id), ven_id)).opts)

    return router
