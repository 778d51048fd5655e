"""How every admin route asks its service: the record's key, the idempotency key, and the one mapping of the
service's answer onto HTTP (503 when it cannot be asked, its refusal as that error, 502 for a wrong kind)."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from gateway.admin.service_door import ServiceDoor, outcome_response
from shared.contract.envelope import Envelope
from shared.contract.events import EventOutcome, PurgeEvent
from shared.contract.operator import GetVen, OperatorOutcome, VenList
from shared.contract.ven_traffic import ContractModel
from shared.contract.vtn_reports import ListVtnReports, VtnReportCatalog, VtnReportOutcome
from tests.fakes import FakeRequester


def _door(answer: ContractModel | None) -> tuple[ServiceDoor, FakeRequester]:
    requester = FakeRequester(lambda topic, envelope: answer)
    return ServiceDoor(requester, "oadr.test.commands.v1", "test service", 1.0), requester


async def _refusal(door: ServiceDoor, payload: ContractModel, expected: type[ContractModel]) -> HTTPException:
    with pytest.raises(HTTPException) as refused:
        await door.ask(payload, expected)
    return refused.value


async def test_the_answer_of_the_expected_kind_is_returned() -> None:
    door, requester = _door(VenList(vens=()))
    assert await door.ask(GetVen(ven_id="ven-1"), VenList, ven_id="ven-1") == VenList(vens=())
    [(topic, envelope)] = requester.requests
    assert (topic, envelope.key, envelope.ven_id) == ("oadr.test.commands.v1", "ven-1", "ven-1")


async def test_a_command_about_one_event_is_keyed_by_its_eventid_and_names_no_ven() -> None:
    door, requester = _door(EventOutcome(status=200, detail="OK"))
    await door.ask(PurgeEvent(event_id="event-1"), EventOutcome, event_id="event-1")
    envelope: Envelope = requester.requests[0][1]
    assert (envelope.key, envelope.ven_id) == ("event-1", None)


async def test_a_retried_command_with_the_same_idempotency_key_carries_the_same_message_id() -> None:
    door, requester = _door(EventOutcome(status=202, detail="OK"))
    for _ in range(2):
        await door.ask(PurgeEvent(event_id="event-1"), EventOutcome, event_id="event-1", idempotency_key="k")
    first, second = (envelope.message_id for _, envelope in requester.requests)
    assert first == second == "admin:purge_event:event-1:k"


async def test_a_refusal_of_any_service_becomes_its_http_error() -> None:
    for outcome in (OperatorOutcome(status=404, detail="no VEN"), VtnReportOutcome(status=409, detail="taken")):
        door, _ = _door(outcome)
        refused = await _refusal(door, ListVtnReports(), VtnReportCatalog)
        assert (refused.status_code, refused.detail) == (outcome.status, outcome.detail)


async def test_a_caller_showing_absence_itself_gets_the_not_found_outcome_and_still_other_refusals_as_errors() -> None:
    """The console's pages say "no such VEN or event" themselves: a 404 comes back to them as the answer."""
    absent = OperatorOutcome(status=404, detail="no VEN")
    door, _ = _door(absent)
    assert await door.ask(GetVen(ven_id="ven-1"), OperatorOutcome, ven_id="ven-1", absence_answers=True) == absent
    door, _ = _door(OperatorOutcome(status=409, detail="taken"))
    with pytest.raises(HTTPException) as refused:
        await door.ask(GetVen(ven_id="ven-1"), OperatorOutcome, ven_id="ven-1", absence_answers=True)
    assert refused.value.status_code == 409


async def test_an_answer_of_another_kind_is_a_bad_gateway_naming_the_service() -> None:
    door, _ = _door(VenList(vens=()))
    refused = await _refusal(door, ListVtnReports(), VtnReportCatalog)
    assert refused.status_code == 502 and "ven_list" in refused.detail and "test service" in refused.detail


async def test_a_service_that_does_not_answer_is_unavailable() -> None:
    door, _ = _door(None)
    refused = await _refusal(door, ListVtnReports(), VtnReportCatalog)
    assert refused.status_code == 503 and refused.detail.startswith("test service unavailable")


def test_an_accepted_outcome_is_answered_with_its_status_and_without_its_kind() -> None:
    response = outcome_response(OperatorOutcome(status=202, detail="queued"))
    assert response.status_code == 202
    assert response.body == b'{"status":202,"detail":"queued","ven":null}'
