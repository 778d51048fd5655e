"""What a push VEN may answer (2.0b simple HTTP push model) and what becomes of the answer."""

from __future__ import annotations

import pytest

from gateway.push.answers import judge, service_of
from gateway.push.deliverer import DeliveryFailed
from shared.oadr.common import EiResponse
from shared.oadr.event import CreatedEvent, DistributeEvent, EventResponse
from shared.oadr.messages import VenMessage, VtnMessage
from shared.oadr.registration import (
    CanceledPartyRegistration,
    CancelPartyRegistration,
    RequestReregistration,
    Response,
)
from shared.oadr.report import (
    CanceledReport,
    CancelReport,
    CreatedReport,
    CreateReport,
    RegisteredReport,
    RegisterReport,
)

OK = EiResponse(response_code=200, response_description="OK", request_id="r1")
EVENTS = DistributeEvent(request_id="r1", vtn_id="vtn", events=())
CREATE = CreateReport.model_construct(request_id="r1", ven_id="v", report_requests=())  # only its type matters
CANCEL_PARTY = CancelPartyRegistration(request_id="r1", registration_id="reg", ven_id="v")


def response(code: int = 200) -> Response:
    return Response(response=EiResponse(response_code=code, response_description="x", request_id="r1"), ven_id="v")


@pytest.mark.parametrize(
    ("pushed", "service"),
    [
        (EVENTS, "EiEvent"),
        (CREATE, "EiReport"),
        (CancelReport(request_id="r", ven_id="v", report_request_ids=("a",), report_to_follow=False), "EiReport"),
        (RegisterReport(request_id="r", ven_id="v", reports=()), "EiReport"),
        (CANCEL_PARTY, "EiRegisterParty"),
        (RequestReregistration(ven_id="v"), "EiRegisterParty"),
    ],
)
def test_each_message_goes_to_the_endpoint_of_its_service(pushed: VtnMessage, service: str) -> None:
    assert service_of(pushed) == service


def test_an_event_set_is_acknowledged_with_an_oadr_response_that_concerns_no_service() -> None:
    verdict = judge(EVENTS, response())
    assert (verdict.hand_to, verdict.ven_error) == (None, None)


def test_a_created_event_given_at_once_is_handed_to_the_event_service() -> None:
    answer = CreatedEvent(
        response=OK, ven_id="v",
        event_responses=(EventResponse(response_code=200, request_id="r1", event_id="e", modification_number=0, opt_type="optIn"),),
    )  # fmt: skip
    assert judge(EVENTS, answer).hand_to == "EiEvent"


@pytest.mark.parametrize(
    ("pushed", "answer", "service"),
    [
        (CREATE, CreatedReport(response=OK, ven_id="v", pending_report_request_ids=()), "EiReport"),
        (
            RegisterReport(request_id="r1", ven_id="v", reports=()),
            RegisteredReport(response=OK, ven_id="v"),
            "EiReport",
        ),
        (CANCEL_PARTY, CanceledPartyRegistration(response=OK, registration_id="reg", ven_id="v"), "EiRegisterParty"),
        (RequestReregistration(ven_id="v"), response(), "EiRegisterParty"),
    ],
)
def test_the_expected_answer_is_handed_to_the_owning_service(
    pushed: VtnMessage, answer: VenMessage, service: str
) -> None:
    assert judge(pushed, answer).hand_to == service


def test_an_error_answer_is_the_vens_final_word_and_still_handed_over() -> None:
    verdict = judge(CREATE, CreatedReport(
        response=EiResponse(response_code=452, response_description="unknown", request_id="r1"), ven_id="v",
        pending_report_request_ids=(),
    ))  # fmt: skip
    assert verdict.hand_to == "EiReport" and verdict.ven_error == "452 unknown"
    assert judge(CREATE, response(463)).ven_error is not None  # a plain oadrResponse error: delivered, not retried


def test_a_503_answer_asks_to_be_pushed_again() -> None:
    with pytest.raises(DeliveryFailed) as failure:
        judge(EVENTS, response(503))
    assert failure.value.kind == "ven_busy"


def test_another_message_is_no_answer() -> None:
    with pytest.raises(DeliveryFailed) as failure:
        judge(CREATE, CanceledReport(response=OK, ven_id="v", pending_report_request_ids=()))
    assert failure.value.kind == "bad_answer"
    with pytest.raises(DeliveryFailed):
        judge(CANCEL_PARTY, CreatedReport(response=OK, ven_id="v", pending_report_request_ids=()))
