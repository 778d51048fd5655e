"""Which answers a VEN's event set awaits, which of them are missing, and what that means for sending the set
again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from event_svc.answer_waits.decisions import awaited_answers, set_awaiting, unanswered
from shared.awaited_replies import ConfirmationPolicy, GiveUp, LookAgain, SendAgain, Settled, next_step
from shared.oadr.event import ActivePeriod, Event, EventDescriptor, EventStatus, ResponseRequired
from tests.event_svc import shapes

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
POLICY = ConfirmationPolicy(wait=MINUTE, resend_limit=2)


def event(
    event_id: str,
    modification: int = 0,
    status: EventStatus = EventStatus.FAR,
    required: ResponseRequired = ResponseRequired.ALWAYS,
) -> Event:
    """An event as a VEN gets it in its set (status worked out for now)."""
    return Event(
        descriptor=EventDescriptor(
            event_id=event_id,
            modification_number=modification,
            market_context="http://MarketContext1",
            created_date_time=NOW,
            event_status=status,
        ),
        active_period=ActivePeriod(dtstart=NOW + 10 * MINUTE, duration=10 * MINUTE),
        signals=(shapes.simple(1, 10 * MINUTE),),
        response_required=required,
    )


def test_a_set_awaits_an_answer_to_each_event_at_its_modification_cancellations_included() -> None:
    events = [
        event("new"),
        event("modified", 2),
        event("cancelled", 1, EventStatus.CANCELLED),
        event("over", 0, EventStatus.COMPLETED),
        event("informative", 0, required=ResponseRequired.NEVER),
    ]
    assert awaited_answers(events) == [("new", 0), ("modified", 2), ("cancelled", 1)]


def test_an_answer_counts_only_for_the_modification_it_names() -> None:
    awaited = [("new", 0), ("modified", 2), ("answered", 1)]
    assert unanswered(awaited, {"modified": 1, "answered": 1}) == ["new", "modified"]


def test_a_set_with_nothing_unanswered_is_settled() -> None:
    assert next_step(set_awaiting([], NOW - 5 * MINUTE, 0), NOW, POLICY) == Settled()


def test_a_set_not_looked_into_yet_or_still_queued_is_looked_at_again() -> None:
    assert next_step(set_awaiting(None, NOW, 0), NOW, POLICY) == LookAgain(NOW + MINUTE)
    assert next_step(set_awaiting(None, None, 0), NOW, POLICY) == LookAgain(NOW + MINUTE)


def test_an_unanswered_set_is_sent_again_after_the_wait_up_to_the_limit() -> None:
    sent_at = NOW - 2 * MINUTE
    assert next_step(set_awaiting(["e"], NOW - 30 * timedelta(seconds=1), 0), NOW, POLICY) == LookAgain(
        NOW + 30 * timedelta(seconds=1)
    )
    assert next_step(set_awaiting(["e"], sent_at, 1), NOW, POLICY) == SendAgain()
    assert next_step(set_awaiting(["e"], sent_at, 2), NOW, POLICY) == GiveUp()
