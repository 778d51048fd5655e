"""A push-model VEN for the integration tests: registers with oadrHttpPullModel false and an endpoint on a
`PushVenServer` (bench.loadgen.push_server), answers every push as the spec says, sends its oadrCreatedEvent
for event sets that ask for one, and keeps every document the VTN pushed, each checked against the official
2.0b schema."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest
from lxml import etree
from openleadr.messaging import create_message

from bench.loadgen import messages
from bench.loadgen.push_server import Pushed, PushVenEndpoint, PushVenServer
from tests.conftest import assert_valid


class PushVen:
    def __init__(self, http: httpx.AsyncClient, server: PushVenServer, name: str, schema: etree.XMLSchema) -> None:
        self.http = http
        self.server = server
        self.name = name
        self.schema = schema
        self.endpoint: PushVenEndpoint = server.endpoint(name)
        self.address = server.address_of(name)
        self.ven_id = ""
        self.registration_id = ""
        self.answer_events = True
        self.sent_answers: list[tuple[str, int, str]] = []
        self.invalid: list[str] = []  # pushed documents the official schema refused
        self._answering: set[asyncio.Task[None]] = set()
        self.endpoint.on_push = self._on_push

    async def register(self, address: str | None = None, pull: bool = False) -> httpx.Response:
        """Register (again, with the registrationID it was given, once it has one) in the push model, or in the
        pull model with `pull`."""
        if self.registration_id:
            body = create_message(
                "oadrCreatePartyRegistration", request_id=uuid.uuid4().hex, registration_id=self.registration_id,
                ven_id=self.ven_id, ven_name=self.name, profile_name="2.0b", transport_name="simpleHttp",
                transport_address=self.address if address is None else address, report_only=False, xml_signature=False,
                http_pull_model=pull,
            ).encode()  # fmt: skip
        else:
            body = messages.create_party_registration(
                uuid.uuid4().hex, self.name, transport_address=self.address if address is None else address,
                http_pull_model=pull,
            )  # fmt: skip
        answer = await self.http.post("/EiRegisterParty", content=body)
        assert answer.status_code == 200, answer.text
        assert_valid(self.schema, answer.content)
        root = etree.fromstring(answer.content)
        ven_id = root.findtext(".//{http://docs.oasis-open.org/ns/energyinterop/201110}venID")
        registration_id = root.findtext(".//{http://docs.oasis-open.org/ns/energyinterop/201110}registrationID")
        if ven_id:
            self.ven_id = self.endpoint.ven_id = ven_id
            self.registration_id = registration_id or ""
        return answer

    def _on_push(self, pushed: Pushed) -> None:
        try:
            assert_valid(self.schema, pushed.body)  # every pushed document against the official 2.0b XSD
        except AssertionError as invalid:
            self.invalid.append(str(invalid))
        if pushed.message_type == "oadrDistributeEvent" and self.answer_events:
            answers = [(event_id, modification, "optIn") for event_id, modification, _ in pushed.events]
            if answers:
                task = asyncio.get_running_loop().create_task(self._answer(pushed.request_id or "", answers))
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)

    async def _answer(self, request_id: str, answers: list[tuple[str, int, str]]) -> None:
        body = messages.created_event(request_id, self.ven_id, answers)

        async def sent() -> bool:
            try:
                answer = await self.http.post("/EiEvent", content=body)
            except httpx.TransportError:
                return False
            return answer.status_code == 200 and "<ei:responseCode>200<" in answer.text

        if await until_sent(sent):
            self.sent_answers.extend(answers)

    @property
    def received(self) -> list[Pushed]:
        return self.endpoint.received

    async def wait_for(
        self, predicate: Callable[[Pushed], bool], timeout: float = 20.0, what: str = "a push"
    ) -> Pushed:
        return await wait_for_push(self.name, self.received, self.invalid, predicate, timeout, what)

    async def wait_for_type(self, message_type: str, timeout: float = 20.0) -> Pushed:
        return await self.wait_for(lambda p: p.message_type == message_type, timeout, message_type)

    async def settle(self) -> None:
        """Let the answers the VEN is sending finish."""
        while self._answering:
            await asyncio.gather(*list(self._answering), return_exceptions=True)


async def wait_for_push(
    name: str,
    received: list[Pushed],
    invalid: list[str],
    predicate: Callable[[Pushed], bool],
    timeout: float,
    what: str,
) -> Pushed:
    """The first of the VEN's pushes (`received`, growing) matching `predicate`; none may have been invalid."""
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        assert invalid == [], invalid
        for pushed in received[seen:]:
            if predicate(pushed):
                return pushed
        seen = len(received)
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name}: no {what} within {timeout:.0f}s; got {[p.message_type for p in received]}")


async def until_sent(send: Callable[[], Awaitable[bool]], attempts: int = 20) -> bool:
    """Send until the VTN answers OK (`send` says whether it did), half a second apart; whether it ever did."""
    for _ in range(attempts):
        if await send():
            return True
        await asyncio.sleep(0.5)
    return False


@pytest.fixture
async def push_server() -> AsyncIterator[PushVenServer]:
    """A push VEN host on loopback for one test (import it into the test module to use it)."""
    server = PushVenServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def undelivered(db: asyncpg.Connection, ven_id: str) -> int:
    """The VEN's messages still waiting in its queue."""
    return int(
        await db.fetchval("SELECT count(*) FROM pending_messages WHERE ven_id = $1 AND delivered_at IS NULL", ven_id)
    )
