"""The XML a simulated VEN sends, byte for byte what `openleadr.messaging.create_message` renders unsigned.

Rendered with plain string templates so that a VEN builds its messages once (the poll body never changes for
a given venID) and the generator spends its CPU on I/O, not on templating. `bench/tests/test_messages.py`
pins the equality with OpenLEADR's output and the validity against the OpenADR 2.0b schema.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

_OADR_NS = "http://openadr.org/oadr-2.0b/2012/07"
_EI_NS = "http://docs.oasis-open.org/ns/energyinterop/201110"
_PYLD_NS = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"

_PAYLOAD_OPEN = f'<?xml version="1.0" encoding="utf-8"?>\n<oadr:oadrPayload xmlns:oadr="{_OADR_NS}">\n'
_PAYLOAD_CLOSE = "\n</oadr:oadrPayload>"
_SIGNED_OPEN = f'<oadr:oadrSignedObject xmlns:oadr="{_OADR_NS}" oadr:Id="oadrSignedObject">'
_SIGNED_CLOSE = "</oadr:oadrSignedObject>"


def _payload(message_type: str, content: str) -> bytes:
    message = f'<oadr:{message_type} ei:schemaVersion="2.0b" xmlns:ei="{_EI_NS}">{content}</oadr:{message_type}>'
    return (_PAYLOAD_OPEN + _SIGNED_OPEN + message + _SIGNED_CLOSE + _PAYLOAD_CLOSE).encode()


def _request_id(request_id: str) -> str:
    return f'<requestID xmlns="{_PYLD_NS}">{escape(request_id)}</requestID>'


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def query_registration(request_id: str) -> bytes:
    return _payload("oadrQueryRegistration", _request_id(request_id))


def create_party_registration(
    request_id: str,
    ven_name: str,
    *,
    transport_address: str = "",
    profile_name: str = "2.0b",
    transport_name: str = "simpleHttp",
    report_only: bool = False,
    xml_signature: bool = False,
    http_pull_model: bool = True,
) -> bytes:
    """A first registration (no venID, no registrationID yet), as a pull-model simple-HTTP VEN."""
    content = (
        _request_id(request_id)
        + f"<oadr:oadrProfileName>{escape(profile_name)}</oadr:oadrProfileName>"
        + f"<oadr:oadrTransportName>{escape(transport_name)}</oadr:oadrTransportName>"
        + f"<oadr:oadrTransportAddress>{escape(transport_address)}</oadr:oadrTransportAddress>"
        + f"<oadr:oadrReportOnly>{_boolean(report_only)}</oadr:oadrReportOnly>"
        + f"<oadr:oadrXmlSignature>{_boolean(xml_signature)}</oadr:oadrXmlSignature>"
        + f"<oadr:oadrVenName>{escape(ven_name)}</oadr:oadrVenName>"
        + f"<oadr:oadrHttpPullModel>{_boolean(http_pull_model)}</oadr:oadrHttpPullModel>"
    )
    return _payload("oadrCreatePartyRegistration", content)


def poll(ven_id: str) -> bytes:
    return _payload("oadrPoll", f"<ei:venID>{escape(ven_id)}</ei:venID>")


# --- A push VEN's answers (simple HTTP push model) and its oadrCreatedEvent ---------------------------------
def _ei_response(request_id: str, code: int = 200, description: str = "OK") -> str:
    return (
        f"<ei:eiResponse><ei:responseCode>{code}</ei:responseCode>"
        f"<ei:responseDescription>{escape(description)}</ei:responseDescription>"
        f"{_request_id(request_id)}</ei:eiResponse>"
    )


def _ven_id(ven_id: str) -> str:
    return f"<ei:venID>{escape(ven_id)}</ei:venID>"


def response(request_id: str, ven_id: str, code: int = 200, description: str = "OK") -> bytes:
    """oadrResponse: a push VEN's answer to oadrDistributeEvent and oadrRequestReregistration."""
    return _payload("oadrResponse", _ei_response(request_id, code, description) + _ven_id(ven_id))


def created_event(request_id: str, ven_id: str, answers: list[tuple[str, int, str]]) -> bytes:
    """oadrCreatedEvent answering the events of one oadrDistributeEvent: (eventID, modificationNumber, optType)."""
    responses = "".join(
        "<ei:eventResponse><ei:responseCode>200</ei:responseCode><ei:responseDescription>OK</ei:responseDescription>"
        f"{_request_id(request_id)}<ei:qualifiedEventID><ei:eventID>{escape(event_id)}</ei:eventID>"
        f"<ei:modificationNumber>{modification}</ei:modificationNumber></ei:qualifiedEventID>"
        f"<ei:optType>{escape(opt)}</ei:optType></ei:eventResponse>"
        for event_id, modification, opt in answers
    )
    content = (
        f'<eiCreatedEvent xmlns="{_PYLD_NS}">{_ei_response("")}<ei:eventResponses>{responses}</ei:eventResponses>'
        f"{_ven_id(ven_id)}</eiCreatedEvent>"
    )
    return _payload("oadrCreatedEvent", content)


def _pending_reports(report_request_ids: list[str]) -> str:
    ids = "".join(f"<ei:reportRequestID>{escape(i)}</ei:reportRequestID>" for i in report_request_ids)
    return f"<oadr:oadrPendingReports>{ids}</oadr:oadrPendingReports>"


def created_report(request_id: str, ven_id: str, pending: list[str]) -> bytes:
    return _payload("oadrCreatedReport", _ei_response(request_id) + _pending_reports(pending) + _ven_id(ven_id))


def canceled_report(request_id: str, ven_id: str, pending: list[str]) -> bytes:
    return _payload("oadrCanceledReport", _ei_response(request_id) + _pending_reports(pending) + _ven_id(ven_id))


def registered_report(request_id: str, ven_id: str) -> bytes:
    return _payload("oadrRegisteredReport", _ei_response(request_id) + _ven_id(ven_id))


def updated_report(request_id: str, ven_id: str) -> bytes:
    return _payload("oadrUpdatedReport", _ei_response(request_id) + _ven_id(ven_id))


def canceled_party_registration(request_id: str, registration_id: str, ven_id: str) -> bytes:
    content = _ei_response(request_id) + f"<ei:registrationID>{escape(registration_id)}</ei:registrationID>"
    return _payload("oadrCanceledPartyRegistration", content + _ven_id(ven_id))
