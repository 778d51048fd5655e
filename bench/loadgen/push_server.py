"""Push-model VENs for tests and benchmarks: one HTTP(S) server hosting many VENs' endpoints by path.

A VEN registered with `oadrTransportAddress` = `{server.url}/ven/{key}` receives the VTN's pushes at
`/ven/{key}/OpenADR2/Simple/2.0b/{EiEvent|EiReport|EiRegisterParty}` and answers as OpenADR 2.0b says
(oadrResponse to an event set or a re-registration request, oadrCreatedReport to oadrCreateReport, and so on),
with the templates of `bench.loadgen.messages`. A 2.0a VEN provisioned with that address receives its event
sets at `/ven/{key}/OpenADR2/Simple/EiEvent` and answers with a 2.0a oadrResponse
(`bench.loadgen.profile_a_messages`). Every push a VEN gets is written down in order (`received`),
and a callback sees each (a VEN sends its oadrCreatedEvent from there, as a request to the VTN).

A VEN can be taken down and brought back (`down`: the server closes the connection without an answer, as a
VEN that crashed mid-request would look) or made to answer 503. The server itself can stop and start on the
same port (a VEN host unreachable: connection refused). Loopback only, as everything in bench/.

A fleet of push VENs is many devices, each its own host, not one host serving them all: with `hosts` above 1
the server listens on as many loopback addresses (127.0.0.1, 127.0.0.2, ..., one port) and spreads the VENs
over them (`address_of`), so the pusher meets the fleet as it meets a real one, a few VENs per host, rather
than queueing every push behind its per-host connection cap (VTN_PUSH_CONNECTIONS_PER_HOST).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from bench.loadgen import messages, profile_a_messages

_OADR = "http://openadr.org/oadr-2.0b/2012/07"
_EI = "http://docs.oasis-open.org/ns/energyinterop/201110"
_PYLD = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
_HEAD_END = b"\r\n\r\n"
SERVICE_ROOT = "/OpenADR2/Simple/2.0b/"
PROFILE_A_EVENT_PATH = "/OpenADR2/Simple/EiEvent"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Pushed:
    """One push as a VEN read it."""

    at: float  # time.time()
    service: str
    message_type: str
    request_id: str | None
    body: bytes
    events: tuple[tuple[str, int, str], ...] = ()  # (eventID, modificationNumber, eventStatus) of an event set
    report_request_ids: tuple[str, ...] = ()
    registration_id: str | None = None
    client_certificate: bytes | None = None  # over HTTPS: the DER certificate the pusher presented
    profile: str = "2.0b"  # the endpoint it came to: a 2.0b service, or a 2.0a VEN's EiEvent


def read_push(service: str, body: bytes) -> Pushed:
    root = etree.fromstring(body, _PARSER)
    signed = root.find(f"{{{_OADR}}}oadrSignedObject")
    element = signed[0] if signed is not None and len(signed) else root
    message_type = etree.QName(element).localname
    request_id = element.findtext(f".//{{{_PYLD}}}requestID")
    events = tuple(
        (
            event.findtext(f".//{{{_EI}}}eventID") or "",
            int(event.findtext(f".//{{{_EI}}}modificationNumber") or 0),
            event.findtext(f".//{{{_EI}}}eventStatus") or "",
        )
        for event in element.iter(f"{{{_EI}}}eiEvent")
    )
    report_request_ids = tuple(
        text for e in element.iter(f"{{{_EI}}}reportRequestID") if (text := (e.text or "").strip())
    )
    return Pushed(
        at=time.time(),
        service=service,
        message_type=message_type,
        request_id=request_id,
        body=body,
        events=events,
        report_request_ids=report_request_ids,
        registration_id=element.findtext(f"{{{_EI}}}registrationID"),
    )


def spec_answer(pushed: Pushed, ven_id: str) -> bytes:
    """What a VEN answers to a push, as the 2.0b simple-HTTP push model says (a 2.0a VEN: a 2.0a oadrResponse)."""
    request_id = pushed.request_id or ""
    kind = pushed.message_type
    if pushed.profile == "2.0a":
        return profile_a_messages.response(200, request_id)
    if kind == "oadrCreateReport":
        return messages.created_report(request_id, ven_id, list(pushed.report_request_ids))
    if kind == "oadrCancelReport":
        return messages.canceled_report(request_id, ven_id, [])
    if kind == "oadrRegisterReport":
        return messages.registered_report(request_id, ven_id)
    if kind == "oadrUpdateReport":
        return messages.updated_report(request_id, ven_id)
    if kind == "oadrCancelPartyRegistration":
        return messages.canceled_party_registration(request_id, pushed.registration_id or "", ven_id)
    return messages.response(request_id, ven_id)  # oadrDistributeEvent, oadrRequestReregistration, answers


Answerer = Callable[[Pushed, str], bytes]


@dataclass
class PushVenEndpoint:
    """One VEN's push endpoint. `ven_id` is filled in once the VEN has registered."""

    key: str
    ven_id: str = ""
    host: str = ""  # the loopback address its endpoint is on (PushVenServer.address_of)
    received: list[Pushed] = field(default_factory=list)
    down: bool = False  # close the connection without answering
    busy: bool = False  # answer HTTP 503
    delay: float = 0.0  # seconds between reading a push and answering it
    answerer: Answerer = spec_answer
    on_push: Callable[[Pushed], None] | None = None

    def types_received(self) -> list[str]:
        return [p.message_type for p in self.received]


def loopback_hosts(count: int) -> list[str]:
    """`count` loopback addresses, 127.0.0.1 first (Linux routes all of 127.0.0.0/8 to the loopback device)."""
    if not 1 <= count <= 65_000:
        raise ValueError("between 1 and 65,000 loopback hosts")
    return [f"127.0.{(n + 1) // 256}.{(n + 1) % 256}" for n in range(count)]


class PushVenServer:
    def __init__(
        self, port: int = 0, ssl_context: ssl.SSLContext | None = None, host: str = LOOPBACK, hosts: int = 1
    ) -> None:
        self._host = host
        self._hosts = [host] if hosts == 1 else loopback_hosts(hosts)
        self._port = port
        self._ssl = ssl_context
        self._servers: list[asyncio.Server] = []
        self._connections: set[asyncio.StreamWriter] = set()
        self.endpoints: dict[str, PushVenEndpoint] = {}
        self.requests = 0
        self.errors = 0

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl is not None else "http"
        return f"{scheme}://{self._host}:{self._port}"

    def endpoint(self, key: str) -> PushVenEndpoint:
        return self.endpoints.setdefault(key, PushVenEndpoint(key))

    def address_of(self, key: str) -> str:
        """The oadrTransportAddress of VEN `key`: the VENs in turn on each of the server's hosts."""
        if key not in self.endpoints:
            turn = len(self.endpoints)
            self.endpoint(key).host = self._hosts[turn % len(self._hosts)]
        host = self.endpoints[key].host or self._host
        scheme = "https" if self._ssl is not None else "http"
        return f"{scheme}://{host}:{self._port}/ven/{key}"

    async def start(self) -> None:
        """Listen on every host, on one port (the first host's, chosen by the system when 0)."""
        for host in self._hosts:
            server = await asyncio.start_server(
                self._serve, host, self._port, ssl=self._ssl, backlog=4096, reuse_address=True
            )
            self._port = server.sockets[0].getsockname()[1]
            self._servers.append(server)

    async def stop(self) -> None:
        """Stop listening and drop every connection (the VENs' hosts are unreachable until `start`)."""
        for server in self._servers:
            server.close()
        for writer in list(self._connections):
            writer.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
        self._servers = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        ssl_object = writer.get_extra_info("ssl_object")
        client_certificate = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        try:
            while True:
                head = await reader.readuntil(_HEAD_END)
                path, length = _request_line(head)
                body = await reader.readexactly(length)
                self.requests += 1
                endpoint = self.endpoints.get(path.removeprefix("/ven/").partition("/")[0])
                if endpoint is not None and endpoint.delay > 0:
                    await asyncio.sleep(endpoint.delay)
                answer = self._answer(path, body, client_certificate)
                if answer is None:
                    return  # a VEN that is down: no answer, connection closed
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError, ssl.SSLError):
            return
        finally:
            self._connections.discard(writer)
            writer.close()

    def _answer(self, path: str, body: bytes, client_certificate: bytes | None = None) -> bytes | None:
        profile = "2.0a" if path.endswith(PROFILE_A_EVENT_PATH) else "2.0b"
        if profile == "2.0a":
            key, service = path.removeprefix("/ven/").removesuffix(PROFILE_A_EVENT_PATH), "EiEvent"
        else:
            key, _, service = path.removeprefix("/ven/").partition(SERVICE_ROOT)
        endpoint = self.endpoints.get(key)
        if endpoint is None or not service:
            self.errors += 1
            return _http(404, b"no such VEN endpoint")
        if endpoint.down:
            return None
        if endpoint.busy:
            return _http(503, b"busy")
        try:
            pushed = read_push(service, body)
        except etree.XMLSyntaxError:
            self.errors += 1
            return _http(400, b"not XML")
        pushed = dataclasses.replace(pushed, client_certificate=client_certificate, profile=profile)
        endpoint.received.append(pushed)
        if endpoint.on_push is not None:
            endpoint.on_push(pushed)
        return _http(200, endpoint.answerer(pushed, endpoint.ven_id))


def _request_line(head: bytes) -> tuple[str, int]:
    lines = head.split(b"\r\n")
    method, path, _ = lines[0].split(b" ", 2)
    if method != b"POST":
        raise ValueError("POST only")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return path.decode(), length


def _http(status: int, body: bytes) -> bytes:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 503: "Service Unavailable"}[status]
    content_type = "application/xml" if status == 200 else "text/plain"
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body
