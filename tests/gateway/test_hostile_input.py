"""Bad input at the gateway, at the 2.0b endpoints and the 2.0a one: each gets a clear 4xx or OpenADR error in the
endpoint's profile, never a 5xx, and the gateway stays up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from lxml import etree
from openleadr.messaging import create_message

from gateway.exchange import ExchangeSettings, OadrExchange
from gateway.oadr_http import create_oadr_app
from gateway.poll_answers import PollAnswerCache
from gateway.profile_a_exchange import ProfileAExchange
from shared.contract.ven_traffic import VenReply
from shared.oadr.common import EiResponse
from shared.oadr.registration import Response
from tests.conftest import assert_valid
from tests.fakes import FakeRequester, RecordingBatcher
from tests.profile_a_ven import profile_a_schema

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


SCHEMA_INVALID_2_0A = (
    b"<oadr:oadrRequestEvent xmlns:oadr='http://openadr.org/oadr-2.0a/2012/07' "
    b"xmlns:pyld='http://docs.oasis-open.org/ns/energyinterop/201110/payloads'><pyld:eiRequestEvent/></oadr:oadrRequestEvent>"
)
HOSTILE = [
    # (name, body, HTTP status at a 2.0b endpoint, at the 2.0a endpoint)
    ("malformed XML", b"<oadr:oadrPayload xmlns:oadr='http://openadr.org/oadr-2.0b/2012/07'><unclosed>", 400, 400),
    ("not XML at all", b"\x00\xff garbage", 400, 400),
    ("empty body", b"", 400, 400),
    ("non-OpenADR document", b"<html><body>hello</body></html>", 400, 400),
    ("XML bomb (entity expansion)", BILLION_LAUGHS, 400, 400),
    ("external entity (XXE)", XXE, 400, 400),
    ("external parameter entity", XXE_PARAMETER_ENTITY, 400, 400),
    (
        "schema-invalid oadrPayload",
        b"<oadr:oadrPayload xmlns:oadr='http://openadr.org/oadr-2.0b/2012/07'><oadr:oadrSignedObject><oadr:oadrPoll/></oadr:oadrSignedObject></oadr:oadrPayload>",
        200,
        400,
    ),
    ("schema-invalid 2.0a request", SCHEMA_INVALID_2_0A, 400, 200),
]
DOORS = {"2.0b": ("/OpenADR2/Simple/2.0b/OadrPoll", 2), "2.0a": ("/OpenADR2/Simple/EiEvent", 3)}


@pytest.fixture
async def client(official_schema: etree.XMLSchema) -> AsyncIterator[tuple[httpx.AsyncClient, FakeRequester]]:
    requester = FakeRequester(
        lambda topic, env: VenReply(message=Response(response=EiResponse(), ven_id="ven1"), cacheable=True)
    )
    settings = ExchangeSettings(0.1)
    exchange = OadrExchange(requester, official_schema, PollAnswerCache(60, 100), RecordingBatcher(), settings)  # type: ignore[arg-type]
    profile_a = ProfileAExchange(requester, profile_a_schema(), PollAnswerCache(60, 100), RecordingBatcher(), settings)  # type: ignore[arg-type]
    app = create_oadr_app(exchange, MAX_BODY, profile_a=profile_a)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http, requester


async def assert_still_answers_polls(http: httpx.AsyncClient) -> None:
    answer = await http.post("/OadrPoll", content=create_message("oadrPoll", ven_id="ven1").encode())
    assert answer.status_code == 200
    assert etree.fromstring(answer.content).findtext(".//{*}responseCode") == "200"


@pytest.mark.parametrize("profile", sorted(DOORS))
@pytest.mark.parametrize("hostile", HOSTILE, ids=[name for name, *_ in HOSTILE])
async def test_hostile_document_gets_a_clear_error(
    client: tuple[httpx.AsyncClient, FakeRequester],
    hostile: tuple[str, bytes, int, int],
    profile: str,
    official_schema: etree.XMLSchema,
) -> None:
    """At either profile's endpoint, in that profile's documents."""
    http, requester = client
    path, status_column = DOORS[profile]
    answer = await http.post(f"http://vtn{path}", content=hostile[1])
    assert answer.status_code == hostile[status_column], hostile[0]
    assert answer.headers["content-type"].startswith("application/xml")
    assert etree.fromstring(answer.content).findtext(".//{*}responseCode") == "400"
    assert_valid(official_schema if profile == "2.0b" else profile_a_schema(), answer.content)
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


async def test_oversized_body_at_the_2_0a_endpoint_is_413(client: tuple[httpx.AsyncClient, FakeRequester]) -> None:
    http, requester = client
    answer = await http.post("http://vtn/OpenADR2/Simple/EiEvent", content=b"<a>" + b"x" * (MAX_BODY + 1) + b"</a>")
    assert answer.status_code == 413
    assert_valid(profile_a_schema(), answer.content)
    assert requester.requests == []
