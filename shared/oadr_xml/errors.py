"""Why an inbound document was refused. The gateway turns each into an HTTP answer.

    OadrXmlError
    ├── MalformedXml          not well-formed, or uses a DTD/entities (XML bomb, XXE): HTTP 400
    ├── NotOpenAdr            well-formed, but not an oadrPayload: HTTP 400
    ├── SchemaViolation       an oadrPayload that the 2.0b XSD rejects: OpenADR 400 in an oadrResponse
    └── UnsupportedMessage    valid, but a message type a VEN may not send: OpenADR 400 in an oadrResponse
"""

from __future__ import annotations


class OadrXmlError(Exception):
    """Base: the document cannot become a message."""

    http_status: int = 400
    answer_in_oadr_response: bool = False


class MalformedXml(OadrXmlError):
    pass


class NotOpenAdr(OadrXmlError):
    pass


class SchemaViolation(OadrXmlError):
    answer_in_oadr_response = True


class UnsupportedMessage(OadrXmlError):
    answer_in_oadr_response = True
