"""A VEN speaking raw OpenADR over HTTP, for tests that need to send exactly one message at a time.

Messages are produced by OpenLEADR's own `create_message` and answers read by its `parse_message`, so
these tests check the VTN against OpenLEADR's understanding of 2.0b, not against our own codec.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from lxml import etree
from openleadr.messaging import create_message, parse_message

from tests.conftest import assert_valid


def new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Answer:
    http_status: int
    content_type: str
    message_type: str
    payload: dict[str, Any]

    @property
    def response_code(self) -> int:
        response = self.payload.get("response") or {}
        return int(response.get("response_code", 0))


async def send(http: httpx.AsyncClient, service: str, message_type: str, **fields: Any) -> Answer:
    answer = await http.post(f"/{service}", content=create_message(message_type, **fields).encode())
    parsed_type, payload = parse_message(answer.content)
    return Answer(answer.status_code, answer.headers.get("content-type", ""), parsed_type, payload)


class RawVen:
    def __init__(self, http: httpx.AsyncClient, ven_name: str) -> None:
        self.http = http
        self.ven_name = ven_name
        self.ven_id: str | None = None
        self.registration_id: str | None = None

    async def query_registration(self) -> Answer:
        return await send(self.http, "EiRegisterParty", "oadrQueryRegistration", request_id=new_request_id())

    async def create_registration(self, ven_id: str | None = None, registration_id: str | None = None) -> Answer:
        answer = await send(
            self.http,
            "EiRegisterParty",
            "oadrCreatePartyRegistration",
            request_id=new_request_id(),
            ven_id=ven_id,
            registration_id=registration_id,
            ven_name=self.ven_name,
            profile_name="2.0b",
            transport_name="simpleHttp",
            transport_address=None,
            report_only=False,
            xml_signature=False,
            http_pull_model=True,
        )
        if answer.response_code == 200:
            self.ven_id = answer.payload["ven_id"]
            self.registration_id = answer.payload["registration_id"]
        return answer

    async def register(self, ven_id: str | None = None) -> RawVen:
        await self.query_registration()
        answer = await self.create_registration(ven_id=ven_id)
        assert answer.response_code == 200, answer
        return self

    async def poll(self, ven_id: str | None = None) -> Answer:
        return await send(self.http, "OadrPoll", "oadrPoll", ven_id=ven_id or self.ven_id)

    async def cancel_registration(self, registration_id: str | None = None, ven_id: str | None = None) -> Answer:
        return await send(
            self.http,
            "EiRegisterParty",
            "oadrCancelPartyRegistration",
            request_id=new_request_id(),
            registration_id=registration_id or self.registration_id,
            ven_id=ven_id or self.ven_id,
        )


class SchemaCheckedVen(RawVen):
    """A raw VEN that checks every document the VTN answers with against the official 2.0b schema, and reads it
    with OpenLEADR's parser."""

    def __init__(self, http: httpx.AsyncClient, ven_name: str, schema: etree.XMLSchema) -> None:
        super().__init__(http, ven_name)
        self.schema = schema

    async def exchange(self, service: str, message_type: str, **fields: Any) -> tuple[str, dict[str, Any]]:
        # OpenLEADR's XML unchanged, zero durations written "P" included (the 2.0b schema admits them).
        answer = await self.http.post(f"/{service}", content=create_message(message_type, **fields).encode())
        assert answer.status_code == 200, answer.text
        assert_valid(self.schema, answer.content)
        parsed: tuple[str, dict[str, Any]] = parse_message(answer.content)
        return parsed
