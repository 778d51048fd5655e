"""An OpenADR 2.0a VEN for the tests: pulls its events with oadrRequestEvent, answers them with
oadrCreatedEvent, and holds every document the VTN sends it to the official 2.0a schema.

Its documents come from bench.loadgen.profile_a_messages, written from the 2.0a schema and specification
independently of the VTN's codec (no 2.0a VEN library is installable here).
"""

from __future__ import annotations

import uuid

import httpx
from lxml import etree

from bench.loadgen import profile_a_messages as messages
from bench.loadgen.profile_a_messages import EI_EVENT_PATH, EventAnswer, SeenAnswer
from shared.oadr_xml.schema import SCHEMA_2_0A, load_schema


def profile_a_schema() -> etree.XMLSchema:
    return load_schema(SCHEMA_2_0A)


def assert_valid_2_0a(document: bytes) -> None:
    schema = profile_a_schema()
    if not schema.validate(etree.fromstring(document)):
        raise AssertionError(f"not valid OpenADR 2.0a: {schema.error_log.last_error}\n{document.decode()}")


class ProfileAVen:
    """`http` is a client whose base URL is the VTN's root (scheme, host and port)."""

    def __init__(self, http: httpx.AsyncClient, ven_id: str, path: str = EI_EVENT_PATH) -> None:
        self.http = http
        self.ven_id = ven_id
        self.path = path
        self.answered: set[tuple[str, int]] = set()

    async def post(self, body: bytes) -> tuple[int, SeenAnswer]:
        """The HTTP status and the answer, which must be a valid 2.0a document."""
        answer = await self.http.post(self.path, content=body, headers={"Content-Type": "application/xml"})
        assert answer.headers.get("content-type", "").startswith("application/xml"), answer.headers
        assert_valid_2_0a(answer.content)
        return answer.status_code, messages.read_answer(answer.content)

    async def request_events(self, reply_limit: int | None = None) -> SeenAnswer:
        status, seen = await self.post(messages.request_event(self.ven_id, uuid.uuid4().hex, reply_limit))
        assert status == 200, seen
        return seen

    async def answer(self, seen: SeenAnswer, opt_type: str = "optIn") -> SeenAnswer | None:
        """Answer every event of `seen` that requires it and was not answered yet; the VTN's oadrResponse."""
        body = messages.answers_to(self.ven_id, seen, opt_type, frozenset(self.answered))
        if body is None:
            return None
        status, answer = await self.post(body)
        assert status == 200, answer
        if answer.response_code == 200:
            self.answered.update((e.event_id, e.modification_number) for e in seen.events)
        return answer

    async def answer_event(self, event_id: str, modification_number: int, opt_type: str, request_id: str) -> SeenAnswer:
        body = messages.created_event(
            self.ven_id, request_id, [EventAnswer(event_id, modification_number, opt_type, request_id)]
        )
        status, answer = await self.post(body)
        assert status == 200, answer
        return answer
