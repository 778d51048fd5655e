"""Why an inbound document was refused. The gateway turns each into an HTTP answer.

OadrXmlError
├── MalformedXml          not well-formed, or uses a DTD/entities (XML bomb, XXE): HTTP 400
├── NotOpenAdr            well-formed, but not an OpenADR message: HTTP 400
│   └── WrongProfile      an OpenADR document of the other profile (2.0a at a 2.0b endpoint, or the
│                         reverse): HTTP 400, naming the profile found
├── SchemaViolation       a message that the profile's XSD rejects: OpenADR 400 in an oadrResponse
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


class WrongProfile(NotOpenAdr):
    """`found` is the profile the document is written in ("2.0a" or "2.0b")."""

    def __init__(self, found: str) -> None:
        super().__init__(f"an OpenADR {found} document")
        self.found = found


class SchemaViolation(OadrXmlError):
    answer_in_oadr_response = True


class UnsupportedMessage(OadrXmlError):
    answer_in_oadr_response = True
