"""Report requests and cancels a VEN did not confirm: when the VTN looks again, sends again, or gives up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from report_svc.confirmations.decisions import first_data_due, request_awaiting
from report_svc.ven_reports.report_data import RequestStatus
from shared.awaited_replies import Awaiting, ConfirmationPolicy, GiveUp, LookAgain, SendAgain, Settled, next_step
from shared.oadr.period import Period
from shared.oadr.report_parts import ReportRequest, ReportSpecifier, SpecifierPayload

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
POLICY = ConfirmationPolicy(wait=MINUTE, resend_limit=2)


def request(back: timedelta = 5 * MINUTE, interval_start: datetime | None = None) -> ReportRequest:
    return ReportRequest(
        report_request_id="rr-1",
        report_specifier=ReportSpecifier(
            report_specifier_id="telemetry",
            granularity=MINUTE,
            report_back_duration=back,
            report_interval=None
            if interval_start is None
            else Period(dtstart=interval_start, duration=timedelta(hours=1)),
            specifier_payloads=(SpecifierPayload(r_id="power", reading_type="Direct Read"),),
        ),
    )


def awaiting(
    status: str = RequestStatus.REQUESTED, has_data: bool = False, sent_at: datetime | None = T0, resends: int = 0
) -> Awaiting:
    return request_awaiting(status, request(), has_data, sent_at, resends)


def test_the_first_data_is_due_one_report_back_duration_after_sending_or_after_the_interval_starts() -> None:
    assert first_data_due(request(back=5 * MINUTE), T0) == T0 + 5 * MINUTE
    assert first_data_due(request(back=timedelta(0)), T0) == T0  # one-shot: at once
    later = T0 + timedelta(hours=2)
    assert first_data_due(request(back=5 * MINUTE, interval_start=later), T0) == later + 5 * MINUTE
    past = T0 - timedelta(days=1)  # a history report over a past span answers at once
    assert first_data_due(request(back=timedelta(0), interval_start=past), T0) == T0


def test_a_request_waits_for_its_first_data_and_the_confirmation_wait_before_it_is_sent_again() -> None:
    deadline = T0 + 5 * MINUTE + MINUTE
    assert next_step(awaiting(), T0 + MINUTE, POLICY) == LookAgain(deadline)
    assert next_step(awaiting(), deadline - timedelta(seconds=1), POLICY) == LookAgain(deadline)
    assert next_step(awaiting(), deadline, POLICY) == SendAgain()


def test_a_cancel_is_sent_again_one_wait_after_it_went_out() -> None:
    cancel = awaiting(RequestStatus.CANCEL_REQUESTED)
    assert next_step(cancel, T0 + timedelta(seconds=30), POLICY) == LookAgain(T0 + MINUTE)
    assert next_step(cancel, T0 + MINUTE, POLICY) == SendAgain()


def test_a_message_still_queued_is_not_sent_again_however_long_it_waits() -> None:
    now = T0 + timedelta(days=3)  # the VEN has not polled for days
    assert next_step(awaiting(sent_at=None), now, POLICY) == LookAgain(now + MINUTE)
    assert next_step(awaiting(RequestStatus.CANCEL_REQUESTED, sent_at=None), now, POLICY) == LookAgain(now + MINUTE)


def test_data_confirms_a_request_but_not_a_cancel() -> None:
    late = T0 + timedelta(hours=1)
    assert next_step(awaiting(has_data=True), late, POLICY) == Settled()
    assert next_step(awaiting(RequestStatus.CANCEL_REQUESTED, has_data=True), late, POLICY) == SendAgain()


@pytest.mark.parametrize("status", [RequestStatus.CREATED, RequestStatus.CANCELLED])
def test_a_confirmed_or_closed_request_is_settled(status: str) -> None:
    assert next_step(awaiting(status), T0 + timedelta(hours=1), POLICY) == Settled()


def test_an_offer_is_settled_by_its_acknowledgement_and_sent_again_one_wait_after_it_went_out() -> None:
    offer = Awaiting(confirmed=False, reply_due=T0, resends=0)
    assert next_step(offer, T0, POLICY) == LookAgain(T0 + MINUTE)
    assert next_step(offer, T0 + MINUTE, POLICY) == SendAgain()
    assert next_step(Awaiting(confirmed=True, reply_due=T0, resends=0), T0 + MINUTE, POLICY) == Settled()


def test_after_the_last_resend_the_vtn_gives_up() -> None:
    late = T0 + timedelta(hours=1)
    assert next_step(awaiting(resends=1), late, POLICY) == SendAgain()
    assert next_step(awaiting(resends=2), late, POLICY) == GiveUp()
    never = ConfirmationPolicy(wait=MINUTE, resend_limit=0)
    assert next_step(awaiting(), late, never) == GiveUp()
