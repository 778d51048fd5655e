"""The reads the console's pages and its API routes share: the same contract queries the admin API sends,
to the same services, each answer checked for its kind once here."""

from __future__ import annotations

from fastapi import HTTPException, status

from gateway.admin.service_door import ServiceDoor
from gateway.exchange import Requester
from shared import topics
from shared.contract.events import EventOutcome, EventView, GetEvent, GetVenMemberships, ListEvents, MembershipView
from shared.contract.operator import (
    GetVen,
    ListPresenceHistory,
    ListVens,
    OperatorOutcome,
    PresenceHistory,
    VenList,
    VenView,
)
from shared.contract.reports import (
    AvailableReports,
    ListAvailableReports,
    ListReportRequests,
    ReportOutcome,
    ReportRequestView,
)
from shared.oadr.event import EventStatus
from shared.oadr.report_parts import Report


class ServiceQueries:
    def __init__(self, requester: Requester, timeout_seconds: float) -> None:
        self._registrations = ServiceDoor(
            requester, topics.REGISTRATION_COMMANDS, "registration service", timeout_seconds
        )
        self._events = ServiceDoor(requester, topics.EVENT_COMMANDS, "event service", timeout_seconds)
        self._reports = ServiceDoor(requester, topics.REPORT_COMMANDS, "report service", timeout_seconds)

    async def vens(self, query: ListVens) -> list[VenView]:
        return list((await self._registrations.ask(query, VenList)).vens)

    async def ven(self, ven_id: str) -> VenView | None:
        outcome = await self._registrations.ask(
            GetVen(ven_id=ven_id), OperatorOutcome, ven_id=ven_id, absence_answers=True
        )
        return outcome.ven

    async def presence_history(self, ven_id: str, limit: int) -> PresenceHistory:
        query = ListPresenceHistory(ven_id=ven_id, limit=limit)
        return await self._registrations.ask(query, PresenceHistory, ven_id=ven_id)

    async def memberships(self, ven_id: str) -> MembershipView:
        outcome = await self._events.ask(
            GetVenMemberships(ven_id=ven_id), EventOutcome, ven_id=ven_id, absence_answers=True
        )
        if outcome.memberships is None:
            raise HTTPException(status.HTTP_502_BAD_GATEWAY, "unexpected answer from the event service")
        return outcome.memberships

    async def events(
        self, ven_id: str | None = None, event_status: EventStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[EventView]:
        query = ListEvents(ven_id=ven_id, status=event_status, limit=limit, offset=offset)
        return list((await self._events.ask(query, EventOutcome, ven_id=ven_id, absence_answers=True)).events)

    async def event(self, event_id: str) -> EventView | None:
        outcome = await self._events.ask(
            GetEvent(event_id=event_id), EventOutcome, event_id=event_id, absence_answers=True
        )
        return outcome.events[0] if outcome.events else None

    async def available_reports(self, ven_id: str) -> list[Report]:
        query = ListAvailableReports(ven_id=ven_id)
        return list((await self._reports.ask(query, AvailableReports, ven_id=ven_id)).reports)

    async def report_requests(self, ven_id: str) -> list[ReportRequestView]:
        outcome = await self._reports.ask(ListReportRequests(ven_id=ven_id), ReportOutcome, ven_id=ven_id)
        return list(outcome.requests)
