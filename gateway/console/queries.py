"""The reads the console's pages and its API routes share: the same contract queries the admin API sends,
to the same services, each answer checked for its kind once here."""

from __future__ import annotations

from typing import TypeVar

from fastapi import HTTPException, status

from gateway.admin_commands import send_command
from gateway.exchange import Requester
from shared import topics
from shared.contract.events import EventOutcome, EventView, GetEvent, GetVenMemberships, ListEvents, MembershipView
from shared.contract.operator import GetVen, ListPresenceHistory, ListVens, OperatorOutcome, PresenceHistory, VenList, VenView
from shared.contract.reports import AvailableReports, ListAvailableReports, ListReportRequests, ReportOutcome, ReportRequestView
from shared.contract.ven_traffic import ContractModel
from shared.oadr.event import EventStatus
from shared.oadr.report_parts import Report

Answer = TypeVar("Answer", bound=ContractModel)

_SERVICES = {
    topics.REGISTRATION_COMMANDS: "registration service",
    topics.EVENT_COMMANDS: "event service",
    topics.REPORT_COMMANDS: "report service",
}


def _unexpected(service: str) -> HTTPException:
    return HTTPException(status.HTTP_502_BAD_GATEWAY, f"unexpected answer from the {service}")


class ServiceQueries:
    def __init__(self, requester: Requester, timeout_seconds: float) -> None:
        self._requester = requester
        self._timeout_seconds = timeout_seconds

    async def _ask(self, topic: str, payload: ContractModel, key: str | None, answer: type[Answer]) -> Answer:
        service = _SERVICES[topic]
        reply = await send_command(self._requester, topic, service, self._timeout_seconds, payload, key)
        if not isinstance(reply, answer):
            raise _unexpected(service)
        return reply

    async def vens(self, query: ListVens) -> list[VenView]:
        return list((await self._ask(topics.REGISTRATION_COMMANDS, query, None, VenList)).vens)

    async def ven(self, ven_id: str) -> VenView | None:
        outcome = await self._ask(topics.REGISTRATION_COMMANDS, GetVen(ven_id=ven_id), ven_id, OperatorOutcome)
        return outcome.ven

    async def presence_history(self, ven_id: str, limit: int) -> PresenceHistory:
        query = ListPresenceHistory(ven_id=ven_id, limit=limit)
        return await self._ask(topics.REGISTRATION_COMMANDS, query, ven_id, PresenceHistory)

    async def _event_outcome(self, payload: ContractModel, key: str | None) -> EventOutcome:
        outcome = await self._ask(topics.EVENT_COMMANDS, payload, key, EventOutcome)
        if outcome.status >= 400 and outcome.status != status.HTTP_404_NOT_FOUND:
            raise HTTPException(outcome.status, outcome.detail)
        return outcome

    async def memberships(self, ven_id: str) -> MembershipView:
        outcome = await self._event_outcome(GetVenMemberships(ven_id=ven_id), ven_id)
        if outcome.memberships is None:
            raise _unexpected("event service")
        return outcome.memberships

    async def events(
        self, ven_id: str | None = None, event_status: EventStatus | None = None, limit: int = 100, offset: int = 0
    ) -> list[EventView]:
        query = ListEvents(ven_id=ven_id, status=event_status, limit=limit, offset=offset)
        return list((await self._event_outcome(query, ven_id)).events)

    async def event(self, event_id: str) -> EventView | None:
        outcome = await self._event_outcome(GetEvent(event_id=event_id), event_id)
        return outcome.events[0] if outcome.events else None

    async def available_reports(self, ven_id: str) -> list[Report]:
        query = ListAvailableReports(ven_id=ven_id)
        return list((await self._ask(topics.REPORT_COMMANDS, query, ven_id, AvailableReports)).reports)

    async def report_requests(self, ven_id: str) -> list[ReportRequestView]:
        outcome = await self._ask(topics.REPORT_COMMANDS, ListReportRequests(ven_id=ven_id), ven_id, ReportOutcome)
        if outcome.status >= 400:
            raise HTTPException(outcome.status, outcome.detail)
        return list(outcome.requests)
