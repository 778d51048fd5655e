"""The service consumer under faults. A request the service says goes stale is skipped once the gateway has
stopped waiting for its reply (it answered 503 and the VEN will resend): otherwise a poll would hand its pending
message to nobody, and an answer would be stored twice. A failure the service names transient is retried
without end, any other dead-lettered after a few attempts. An offset commit refused after a rebalance (the
service was frozen past the session timeout) does not end the consumer: the batch is redelivered to idempotent
handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError

from shared.bus.connection import KafkaConnection
from shared.bus.service_consumer import MAX_ATTEMPTS_FOR_OTHER_ERRORS, ServiceConsumer, ServiceRules
from shared.contract.backend_events import PollSighting, PollsObserved
from shared.contract.envelope import Envelope, ReplyAddress, utcnow
from shared.contract.ven_traffic import VenRequest
from shared.oadr.common import EiResponse
from shared.oadr.event import CreatedEvent, EventResponse
from shared.oadr.registration import Poll
from shared.stale_requests import AnsweredByDelivery

REPLIES = ReplyAddress(topic="oadr.gateway.replies.v1", partition=0)


POLLS_GO_STALE = ServiceRules(goes_stale=AnsweredByDelivery.of({"oadrPoll"}))


class _Producer:
    def __init__(self) -> None:
        self.dead_letters: list[bytes] = []

    async def publish(self, *args: object, **kwargs: object) -> None:
        return None

    async def publish_raw(self, topic: str, key: bytes | None, value: bytes, headers: object) -> None:
        self.dead_letters.append(value)


def _consumer(
    handled: list[Envelope],
    stale_after: float | None = 5.0,
    rules: ServiceRules = POLLS_GO_STALE,
    handler: Callable[[Envelope], Awaitable[None]] | None = None,
) -> ServiceConsumer:
    async def record(received: Envelope) -> None:
        handled.append(received)

    return ServiceConsumer(
        kafka=KafkaConnection("127.0.0.1:1"), group_id="test", topic_names=["t"], handler=handler or record,
        producer=_Producer(), client_id="test", stale_after_seconds=stale_after, rules=rules,  # type: ignore[arg-type]
    )  # fmt: skip


async def _handled(
    envelope: Envelope, stale_after: float | None = 5.0, rules: ServiceRules = POLLS_GO_STALE
) -> list[Envelope]:
    handled: list[Envelope] = []
    consumer = _consumer(handled, stale_after, rules)
    try:
        await consumer._handle_envelope(None, envelope)  # noqa: SLF001
    finally:
        await consumer.close()
    return handled


def _poll(age_seconds: float, reply_to: ReplyAddress | None = REPLIES) -> Envelope:
    return Envelope(
        ven_id="ven-1",
        payload=VenRequest(message=Poll(ven_id="ven-1")),
        reply_to=reply_to,
        created_at=utcnow() - timedelta(seconds=age_seconds),
    )


async def test_a_fresh_request_is_handled() -> None:
    assert len(await _handled(_poll(1.0))) == 1


async def test_a_request_older_than_the_reply_timeout_is_skipped() -> None:
    assert await _handled(_poll(6.0)) == []


async def test_only_the_requests_the_service_says_go_stale_are_skipped() -> None:
    events_go_stale = ServiceRules(goes_stale=AnsweredByDelivery.of({"oadrRequestEvent"}))
    assert len(await _handled(_poll(6.0), rules=events_go_stale)) == 1
    assert len(await _handled(_poll(6.0), rules=ServiceRules())) == 1


class _DatabaseDown(Exception):
    """Stands for a failure that passes, of a kind the bus does not know."""


FAILURES = MAX_ATTEMPTS_FOR_OTHER_ERRORS + 2


async def _failing_for_a_while(rules: ServiceRules) -> tuple[int, list[bytes]]:
    """How often a handler that fails FAILURES times with `_DatabaseDown`, then succeeds, is called for one
    record, and what is dead-lettered."""
    calls: list[Envelope] = []

    async def handler(received: Envelope) -> None:
        calls.append(received)
        if len(calls) <= FAILURES:
            raise _DatabaseDown("PostgreSQL is restarting")

    consumer = _consumer([], rules=rules, handler=handler)

    async def no_wait(message_type: str, attempt: int, exc: BaseException) -> None:
        return None

    consumer._back_off = no_wait  # type: ignore[method-assign]  # noqa: SLF001
    envelope = _poll(0.0)
    value = envelope.to_bytes()
    record = ConsumerRecord("t", 0, 0, 0, 0, b"ven-1", value, None, 5, len(value), [])
    try:
        await consumer._handle_envelope(record, envelope)  # noqa: SLF001
    finally:
        await consumer.close()
    return len(calls), consumer._producer.dead_letters  # type: ignore[attr-defined]  # noqa: SLF001


async def test_a_failure_the_service_names_transient_is_retried_until_it_passes() -> None:
    assert await _failing_for_a_while(ServiceRules(transient_errors=(_DatabaseDown,))) == (FAILURES + 1, [])


async def test_a_failure_the_service_does_not_name_is_dead_lettered_after_a_few_attempts() -> None:
    calls, dead_letters = await _failing_for_a_while(ServiceRules())
    assert (calls, len(dead_letters)) == (MAX_ATTEMPTS_FOR_OTHER_ERRORS, 1)


async def test_data_a_ven_sent_is_handled_however_late() -> None:
    created = CreatedEvent(
        response=EiResponse(response_code=200, response_description="OK", request_id="r"),
        event_responses=(
            EventResponse(response_code=200, response_description="OK", request_id="r", event_id="e",
                          modification_number=0, opt_type="optIn"),
        ),
        ven_id="ven-1",
    )  # fmt: skip
    late = Envelope(
        ven_id="ven-1",
        payload=VenRequest(message=created),
        reply_to=REPLIES,
        created_at=utcnow() - timedelta(minutes=1),
    )
    assert len(await _handled(late)) == 1


async def test_only_requests_someone_waits_for_are_judged_by_age() -> None:
    assert len(await _handled(_poll(60.0, reply_to=None))) == 1
    assert len(await _handled(_poll(60.0), stale_after=None)) == 1
    sightings = Envelope(
        payload=PollsObserved(gateway_instance="g", sightings=(PollSighting(ven_id="v", seen_at=utcnow()),)),
        reply_to=REPLIES,
    )
    old = sightings.model_copy(update={"created_at": utcnow() - timedelta(hours=1)})
    assert len(await _handled(old)) == 1


async def test_a_commit_refused_after_a_rebalance_is_not_fatal() -> None:
    consumer = _consumer([])

    async def refuse(offsets: object) -> None:
        raise CommitFailedError("the group has already rebalanced")

    consumer._consumer.commit = refuse  # noqa: SLF001
    try:
        assert await consumer._commit({TopicPartition("t", 0): 5}) is False  # noqa: SLF001
    finally:
        await consumer.close()
