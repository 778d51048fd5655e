"""An answer carrying one of the VEN's pending messages is not written to a VEN that has closed its connection:
the message goes back in its queue instead (gateway.oadr_http, gateway.late_replies)."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.answers import CarriedPending, HttpAnswer
from gateway.late_replies import UndeliveredReporter
from gateway.oadr_http import OadrEndpoints, _fallback_app, client_gone
from shared import topics
from shared.contract.ven_traffic import PendingUndelivered, RequestContext
from tests.fakes import FakePublisher

SCOPE = {"type": "http", "method": "POST", "path": "/OpenADR2/Simple/2.0b/OadrPoll", "headers": [], "client": None}


class AnsweringExchange:
    def __init__(self, answer: HttpAnswer) -> None:
        self.answer = answer

    async def handle(self, service: str, body: bytes, context: RequestContext) -> HttpAnswer:
        return self.answer


def connection(gone: bool) -> Any:
    """An ASGI receive: the request body, then a disconnect at once if the client is gone, else never."""
    messages = [{"type": "http.request", "body": b"<poll/>", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        if gone:
            return {"type": "http.disconnect"}
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return receive


async def serve(answer: HttpAnswer, gone: bool) -> tuple[list[dict[str, Any]], FakePublisher]:
    publisher = FakePublisher()
    reporter = UndeliveredReporter(publisher)
    exchange: Any = AnsweringExchange(answer)
    app = OadrEndpoints(exchange, 1000, _fallback_app(), lambda scope: RequestContext(), reporter)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(SCOPE), connection(gone), send)
    await reporter.stop(timeout=5)
    return sent, publisher


CARRYING = HttpAnswer(200, b"<oadrDistributeEvent/>", carries=CarriedPending("ven1", 7))


async def test_a_message_for_a_vanished_ven_goes_back_instead_of_into_a_closed_socket() -> None:
    sent, publisher = await serve(CARRYING, gone=True)
    assert sent == []
    [(topic, fact)] = publisher.published
    assert topic == topics.POLL_REQUESTS and fact.payload == PendingUndelivered(ven_id="ven1", pending_id=7)


async def test_a_ven_still_connected_gets_its_message() -> None:
    sent, publisher = await serve(CARRYING, gone=False)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == CARRYING.body and publisher.published == []


async def test_an_answer_carrying_nothing_is_written_without_looking() -> None:
    answer = HttpAnswer(200, b"<oadrResponse/>")
    sent, publisher = await serve(answer, gone=True)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert publisher.published == []


async def test_looking_leaves_no_receive_waiting() -> None:
    waiting = connection(gone=False)
    await waiting()  # the body
    before = len(asyncio.all_tasks())
    assert not await client_gone(waiting)
    assert len(asyncio.all_tasks()) == before
