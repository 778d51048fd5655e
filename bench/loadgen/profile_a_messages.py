"""What an OpenADR 2.0a VEN sends and reads, written from the 2.0a schema (oadr_20a.xsd) and profile
specification, independently of the VTN's own codec.

A 2.0a VEN has one service, EiEvent, at `/OpenADR2/Simple/EiEvent`: it pulls its events with
oadrRequestEvent (there is no oadrPoll), answers each event whose oadrResponseRequired is `always` with
oadrCreatedEvent, and answers a pushed oadrDistributeEvent with oadrResponse. 2.0a documents have no
oadrPayload wrapper, no signature and no schemaVersion. Requests are plain string templates (a VEN builds its
oadrRequestEvent for each pull at the cost of a join); answers are read with lxml.
`tests/bench/test_profile_a_messages.py` holds the requests to the 2.0a schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

OADR_20A = "http://openadr.org/oadr-2.0a/2012/07"
EI = "http://docs.oasis-open.org/ns/energyinterop/201110"
PYLD = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"
XCAL = "urn:ietf:params:xml:ns:icalendar-2.0"
STRM = "urn:ietf:params:xml:ns:icalendar-2.0:stream"
EI_EVENT_PATH = "/OpenADR2/Simple/EiEvent"

_NAMESPACES = f'xmlns:oadr="{OADR_20A}" xmlns:ei="{EI}" xmlns:pyld="{PYLD}"'
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _document(message_type: str, content: str) -> bytes:
    return f'<?xml version="1.0" encoding="utf-8"?>\n<oadr:{message_type} {_NAMESPACES}>{content}</oadr:{message_type}>'.encode()


def _ei_response(code: int, description: str | None, request_id: str) -> str:
    described = "" if description is None else f"<ei:responseDescription>{escape(description)}</ei:responseDescription>"
    return (
        f"<ei:eiResponse><ei:responseCode>{code:03d}</ei:responseCode>{described}"
        f"<pyld:requestID>{escape(request_id)}</pyld:requestID></ei:eiResponse>"
    )


def request_event(ven_id: str, request_id: str, reply_limit: int | None = None) -> bytes:
    """oadrRequestEvent: send me my events (at most `reply_limit`)."""
    limit = "" if reply_limit is None else f"<pyld:replyLimit>{reply_limit}</pyld:replyLimit>"
    return _document(
        "oadrRequestEvent",
        f"<pyld:eiRequestEvent><pyld:requestID>{escape(request_id)}</pyld:requestID>"
        f"<ei:venID>{escape(ven_id)}</ei:venID>{limit}</pyld:eiRequestEvent>",
    )


@dataclass(frozen=True)
class EventAnswer:
    """One eventResponse: the VEN's opt for one version of one event; `request_id` is that of the
    oadrDistributeEvent that carried it."""

    event_id: str
    modification_number: int
    opt_type: str
    request_id: str
    response_code: int = 200


def created_event(ven_id: str, request_id: str, answers: Sequence[EventAnswer]) -> bytes:
    """oadrCreatedEvent answering the events of the oadrDistributeEvent `request_id`."""
    responses = "".join(
        f"<ei:eventResponse><ei:responseCode>{a.response_code:03d}</ei:responseCode>"
        f"<ei:responseDescription>OK</ei:responseDescription>"
        f"<pyld:requestID>{escape(a.request_id)}</pyld:requestID>"
        f"<ei:qualifiedEventID><ei:eventID>{escape(a.event_id)}</ei:eventID>"
        f"<ei:modificationNumber>{a.modification_number}</ei:modificationNumber></ei:qualifiedEventID>"
        f"<ei:optType>{escape(a.opt_type)}</ei:optType></ei:eventResponse>"
        for a in answers
    )
    return _document(
        "oadrCreatedEvent",
        f"<pyld:eiCreatedEvent>{_ei_response(200, 'OK', request_id)}"
        f"<ei:eventResponses>{responses}</ei:eventResponses><ei:venID>{escape(ven_id)}</ei:venID></pyld:eiCreatedEvent>",
    )


def response(code: int, request_id: str, description: str | None = "OK") -> bytes:
    """oadrResponse: a 2.0a VEN's answer to a pushed oadrDistributeEvent."""
    return _document("oadrResponse", _ei_response(code, description, request_id))


@dataclass(frozen=True)
class SeenSignal:
    name: str
    signal_type: str
    payloads: tuple[float, ...]
    current_value: float


@dataclass(frozen=True)
class SeenEvent:
    """One oadrEvent as a 2.0a VEN reads it."""

    event_id: str
    modification_number: int
    status: str
    response_required: str
    signals: tuple[SeenSignal, ...]
    target_ven_ids: tuple[str, ...]
    target_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class SeenAnswer:
    """What the VTN answered: its message type, eiResponse code and description, and for an
    oadrDistributeEvent its requestID (echoed in the VEN's oadrCreatedEvent) and events."""

    message_type: str
    response_code: int | None
    description: str | None
    response_request_id: str | None = None
    request_id: str | None = None
    events: tuple[SeenEvent, ...] = ()


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _texts(element: etree._Element, path: str) -> tuple[str, ...]:
    return tuple((found.text or "").strip() for found in element.iterfind(path))


def _signal(element: etree._Element) -> SeenSignal:
    return SeenSignal(
        name=element.findtext(_q(EI, "signalName")) or "",
        signal_type=element.findtext(_q(EI, "signalType")) or "",
        payloads=tuple(float(v) for v in _texts(element, f".//{_q(EI, 'signalPayload')}//{_q(EI, 'value')}")),
        current_value=float(element.findtext(f"{_q(EI, 'currentValue')}//{_q(EI, 'value')}") or "nan"),
    )


def _event(element: etree._Element) -> SeenEvent:
    ei_event = element.find(_q(EI, "eiEvent"))
    assert ei_event is not None
    descriptor = ei_event.find(_q(EI, "eventDescriptor"))
    target = ei_event.find(_q(EI, "eiTarget"))
    assert descriptor is not None and target is not None
    return SeenEvent(
        event_id=descriptor.findtext(_q(EI, "eventID")) or "",
        modification_number=int(descriptor.findtext(_q(EI, "modificationNumber")) or "-1"),
        status=descriptor.findtext(_q(EI, "eventStatus")) or "",
        response_required=element.findtext(_q(OADR_20A, "oadrResponseRequired")) or "",
        signals=tuple(_signal(s) for s in ei_event.iterfind(f"{_q(EI, 'eiEventSignals')}/{_q(EI, 'eiEventSignal')}")),
        target_ven_ids=_texts(target, _q(EI, "venID")),
        target_group_ids=_texts(target, _q(EI, "groupID")),
    )


def read_answer(body: bytes) -> SeenAnswer:
    """The VTN's answer to a 2.0a request (oadrDistributeEvent or oadrResponse); ValueError for anything else."""
    root = etree.fromstring(body, _PARSER)
    if etree.QName(root).namespace != OADR_20A:
        raise ValueError(f"not an OpenADR 2.0a document: {root.tag}")
    message_type = etree.QName(root).localname
    ei_response = root.find(_q(EI, "eiResponse"))
    code = None if ei_response is None else int(ei_response.findtext(_q(EI, "responseCode")) or "0")
    description = None if ei_response is None else ei_response.findtext(_q(EI, "responseDescription"))
    response_request_id = None if ei_response is None else ei_response.findtext(_q(PYLD, "requestID"))
    if message_type == "oadrResponse":
        return SeenAnswer(message_type, code, description, response_request_id)
    if message_type != "oadrDistributeEvent":
        raise ValueError(f"not an answer a 2.0a VTN gives: {message_type}")
    return SeenAnswer(
        message_type,
        code,
        description,
        response_request_id,
        request_id=root.findtext(_q(PYLD, "requestID")),
        events=tuple(_event(e) for e in root.iterfind(_q(OADR_20A, "oadrEvent"))),
    )


def answers_to(
    ven_id: str, seen: SeenAnswer, opt_type: str = "optIn", answered: frozenset[tuple[str, int]] = frozenset()
) -> bytes | None:
    """The oadrCreatedEvent a VEN sends for a set it received: one answer per event version that requires one
    and is not in `answered` (eventID, modificationNumber); None when it owes none."""
    owed = [
        e
        for e in seen.events
        if e.response_required == "always" and (e.event_id, e.modification_number) not in answered
    ]
    if not owed or seen.request_id is None:
        return None
    answers = [EventAnswer(e.event_id, e.modification_number, opt_type, seen.request_id) for e in owed]
    return created_event(ven_id, seen.request_id, answers)
