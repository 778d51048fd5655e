"""Judging oadrCreatedEvent answers (unknown event, old modification) and opt precedence."""

from __future__ import annotations

from event_svc.answers import effective_opt, judge_response, worst
from shared.oadr.common import ResponseCode
from shared.oadr.event import EventResponse


def answer(modification_number: int, event_id: str = "a") -> EventResponse:
    return EventResponse(
        response_code=200, event_id=event_id, modification_number=modification_number, opt_type="optIn"
    )


def test_an_answer_for_the_current_modification_is_accepted() -> None:
    assert judge_response(answer(0), 0, True).accepted


def test_an_unknown_event_or_one_not_sent_to_the_ven_gets_invalid_id() -> None:
    assert judge_response(answer(0), None, False).code == ResponseCode.INVALID_ID
    assert judge_response(answer(0), 0, False).code == ResponseCode.INVALID_ID


def test_an_old_modification_is_out_of_sequence_and_a_future_one_invalid() -> None:
    current = 2
    assert judge_response(answer(1), current, True).code == ResponseCode.OUT_OF_SEQUENCE
    assert judge_response(answer(3), current, True).code == ResponseCode.INVALID_DATA


def test_the_reply_is_ok_only_if_every_response_was() -> None:
    ok, bad = judge_response(answer(0), 0, True), judge_response(answer(0), None, False)
    assert worst([ok, ok]).accepted and worst([]).accepted
    assert worst([ok, bad]) == bad


def test_a_create_opt_takes_precedence_over_created_event() -> None:
    assert effective_opt("optOut", "optIn") == "optIn"
    assert effective_opt("optOut", None) == "optOut"
    assert effective_opt(None, None) is None
