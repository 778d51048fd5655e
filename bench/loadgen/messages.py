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
