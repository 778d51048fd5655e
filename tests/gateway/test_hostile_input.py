"""Bad input at the gateway: each gets a clear 4xx or OpenADR error, never a 5xx, and the gateway stays up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from lxml import etree
from openleadr.messaging import create_message

from gateway.exchange import ExchangeSettings, OadrExchange
from gateway.oadr_http import create_oadr_app
from gateway.poll_answers import PollAnswerCache
from shared.contract.ven_traffic import VenReply
from shared.oadr.common import EiResponse
from shared.oadr.registration import Response
from tests.conftest import assert_valid
from tests.fakes import FakeRequester, RecordingBatcher

BASE = "http://vtn/OpenADR2/Simple/2.0b"
MAX_BODY = 64 * 1024

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07"><oadr:oadrSignedObject>
<oadr:oadrPoll xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110"><ei:venID>&lol9;</ei:venID></oadr:oadrPoll>
</oadr:oadrSignedObject></oadr:oadrPayload>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07"><oadr:oadrSignedObject>
<oadr:oadrPoll xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110"><ei:venID>&xxe;</ei:venID></oadr:oadrPoll>
</oadr:oadrSignedObject></oadr:oadrPayload>"""

XXE_PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY % remote SYSTEM "http://127.0.0.1:1/evil.dtd"> %remote; ]>
<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07"/>"""


@pytest.fixture
async def client(official_schema: etree.XMLSchema) -> AsyncIterator[tuple[httpx.AsyncClient, FakeRequester]]:
    requester = FakeRequester(
        lambda topic, env: VenReply(message=Response(response=EiResponse(), ven_id="ven1"), cacheable=True)
    )
    exchange = OadrExchange(
        requester, official_schema, PollAnswerCache(60, 100), RecordingBatcher(), ExchangeSettings(0.1)  # type: ignore[arg-type]
    )
    app = create_oadr_app(exchange, MAX_BODY)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http, requester


async def assert_still_answers_polls(http: httpx.AsyncClient) -> None:
    answer = await http.post("/OadrPoll", content=create_message("oadrPoll", ven_id="ven1").encode())
    assert answer.status_code == 200
    assert etree.fromstring(answer.content).findtext(".//{*}responseCode") == "200"


@pytest.mark.parametrize(
    ("name", "body", "expected_status"),
    [
        ("malformed XML", b"<oadr:oadrPayload xmlns:oadr='http://openadr.org/oadr-2.0b/2012/07'><unclosed>", 400),
        ("not XML at all", b"\x00\xff garbage", 400),
        ("empty body", b"", 400),
        ("non-OpenADR document", b"<html><body>hello</body></html>", 400),
        ("XML bomb (entity expansion)", BILLION_LAUGHS, 400),
        ("external entity (XXE)", XXE, 400),
        ("external parameter entity", XXE_PARAMETER_ENTITY, 400),
        ("schema-invalid oadrPayload", b"<oadr:oadrPayload xmlns:oadr='http://openadr.org/oadr-2.0b/2012/07'><oadr:oadrSignedObject><oadr:oadrPoll/></oadr:oadrSignedObject></oadr:oadrPayload>", 200),
    ],
)
async def test_hostile_document_gets_a_clear_error(
    client: tuple[httpx.AsyncClient, FakeRequester], name: str, body: bytes, expected_status: int, official_schema: etree.XMLSchema
) -> None:
    http, requester = client
    answer = await http.post("/OadrPoll", content=body)
    assert answer.status_code == expected_status, name
    assert answer.headers["content-type"].startswith("application/xml")
    assert etree.fromstring(answer.content).findtext(".//{*}responseCode") == "400"
    assert_valid(official_schema, answer.content)
    assert b"root:" not in answer.content  # nothing of /etc/passwd leaks
    assert requester.requests == []  # nothing reached the services
    await assert_still_answers_polls(http)


async def test_oversized_body_is_413(client: tuple[httpx.AsyncClient, FakeRequester]) -> None:
    http, requester = client
    answer = await http.post("/OadrPoll", content=b"<a>" + b"x" * (MAX_BODY + 1) + b"</a>")
    assert answer.status_code == 413
    assert requester.requests == []
    await assert_still_answers_polls(http)


async def test_oversized_chunked_body_without_length_is_413(client: tuple[httpx.AsyncClient, FakeRequester]) -> None:
    http, _ = client

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"x" * 1024

    answer = await http.post("/OadrPoll", content=chunks())
    assert answer.status_code == 413
    await assert_still_answers_polls(http)


async def test_unknown_endpoint_is_404_and_get_is_405(client: tuple[httpx.AsyncClient, FakeRequester]) -> None:
    http, _ = client
    for answer, status in ((await http.post("/EiSomething", content=b"<a/>"), 404), (await http.get("/OadrPoll"), 405)):
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("application/xml")
        assert etree.fromstring(answer.content).findtext(".//{*}responseCode") == "400"
