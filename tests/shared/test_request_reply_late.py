"""The gateway's request-reply client: a reply to a request it gave up on goes to `on_late_reply`, once;
any other reply nobody waits for is dropped. A request kept sending reaches Kafka after its timeout."""

from __future__ import annotations

import asyncio

import pytest

from shared import topics
from shared.bus.connection import KafkaConnection
from shared.bus.errors import ReplyTimeout
from shared.bus.request_reply import AbandonedRequests, RequestReplyClient
from shared.contract.envelope import Envelope, ReplyAddress
from shared.contract.ven_traffic import VenReply, VenRequest
from shared.oadr.answers import nothing_pending
from shared.oadr.registration import Poll
from tests.fakes import FakePublisher


def poll_request(ven_id: str = "ven1") -> Envelope:
    return Envelope(ven_id=ven_id, payload=VenRequest(message=Poll(ven_id=ven_id)))


def reply_to(request: Envelope, pending_id: int | None = 7) -> Envelope:
    assert request.ven_id is not None
    return request.reply(VenReply(message=nothing_pending(request.ven_id), pending_id=pending_id))


def deliver(client: RequestReplyClient, reply: Envelope) -> None:
    client._deliver(reply.kafka_headers(), reply.to_bytes())  # noqa: SLF001 - what the reply reader does per record


@pytest.fixture
async def client() -> RequestReplyClient:
    return RequestReplyClient(
        FakePublisher(), KafkaConnection("unused:9092"), ReplyAddress(topic=topics.GATEWAY_REPLIES, partition=0)
    )


async def test_a_reply_after_the_timeout_is_handed_over_once(client: RequestReplyClient) -> None:
    late: list[Envelope] = []
    client.on_late_reply = late.append
    request = poll_request()
    with pytest.raises(ReplyTimeout):
        await client.request(topics.POLL_REQUESTS, request, timeout=0.01)
    reply = reply_to(request)
    deliver(client, reply)
    deliver(client, reply)  # the same record read again (two instances sharing the partition, say)
    assert [envelope.message_id for envelope in late] == [reply.message_id]
    assert late[0].payload == reply.payload and late[0].ven_id == "ven1"


async def test_replies_in_time_and_replies_to_others_are_not_late(client: RequestReplyClient) -> None:
    late: list[Envelope] = []
    client.on_late_reply = late.append
    request = poll_request()
    reply = reply_to(request)
    asyncio.get_running_loop().call_later(0.01, deliver, client, reply)
    answered = await client.request(topics.POLL_REQUESTS, request, timeout=5)
    assert answered.message_id == reply.message_id
    deliver(client, reply)  # again, after the answer: not a late reply
    deliver(client, reply_to(poll_request("ven2")))  # a request of another instance on the partition
    assert late == []


def test_requests_given_up_on_are_remembered_for_a_while_and_a_bounded_number() -> None:
    now = [0.0]
    abandoned = AbandonedRequests(memory_seconds=10, max_entries=2, clock=lambda: now[0])
    abandoned.add("a")
    now[0] = 5
    abandoned.add("b")
    now[0] = 11
    abandoned.add("c")  # "a" is older than the memory now
    assert not abandoned.claim("a")
    assert abandoned.claim("b") and not abandoned.claim("b")
    abandoned.add("d")
    abandoned.add("e")  # three entries: the oldest ("c") goes
    assert len(abandoned) == 2 and not abandoned.claim("c")
    assert abandoned.claim("d") and abandoned.claim("e")


async def test_a_late_reply_goes_to_the_requests_own_handler_too(client: RequestReplyClient) -> None:
    everyone: list[Envelope] = []
    own: list[Envelope] = []
    client.on_late_reply = everyone.append
    request = poll_request()
    with pytest.raises(ReplyTimeout):
        await client.request(topics.POLL_REQUESTS, request, timeout=0.01, on_late=own.append)
    other = poll_request("ven2")
    with pytest.raises(ReplyTimeout):
        await client.request(topics.POLL_REQUESTS, other, timeout=0.01)
    reply = reply_to(request, pending_id=None)
    deliver(client, reply)
    deliver(client, reply)
    deliver(client, reply_to(other))
    assert [envelope.message_id for envelope in own] == [reply.message_id]
    assert len(everyone) == 2


class SlowPublisher(FakePublisher):
    """Takes `seconds` to get a record to Kafka (a producer backed up under load)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def publish(self, topic: str, envelope: Envelope, partition: int | None = None) -> None:
        await asyncio.sleep(self.seconds)
        await super().publish(topic, envelope, partition)


async def test_a_request_kept_sending_reaches_kafka_after_its_timeout_and_others_do_not() -> None:
    publisher = SlowPublisher(0.05)
    client = RequestReplyClient(
        publisher, KafkaConnection("unused:9092"), ReplyAddress(topic=topics.GATEWAY_REPLIES, partition=0)
    )
    answer, poll = poll_request("answering"), poll_request("polling")
    with pytest.raises(ReplyTimeout):
        await client.request(topics.EVENT_REQUESTS, answer, timeout=0.01, keep_sending=True)
    with pytest.raises(ReplyTimeout):
        await client.request(topics.POLL_REQUESTS, poll, timeout=0.01)
    assert publisher.published == []
    await client.stop()  # waits for the requests still being sent
    assert [(topic, envelope.message_id) for topic, envelope in publisher.published] == [
        (topics.EVENT_REQUESTS, answer.message_id)
    ]


async def test_a_request_kept_sending_reaches_kafka_even_when_its_asker_is_cancelled() -> None:
    publisher = SlowPublisher(0.05)
    client = RequestReplyClient(
        publisher, KafkaConnection("unused:9092"), ReplyAddress(topic=topics.GATEWAY_REPLIES, partition=0)
    )
    answer = poll_request("answering")
    asking = asyncio.create_task(client.request(topics.EVENT_REQUESTS, answer, timeout=5, keep_sending=True))
    await asyncio.sleep(0.01)
    asking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asking
    await client.stop()
    assert [envelope.message_id for _, envelope in publisher.published] == [answer.message_id]
