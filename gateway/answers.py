"""The HTTP answers the gateway gives: status, XML body, headers. Every body is an OpenADR document."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.oadr.common import EiResponse, ResponseCode
from shared.oadr.messages import VtnMessage
from shared.oadr.registration import Response
from shared.oadr_xml.codec import encode

XML_CONTENT_TYPE = "application/xml"


@dataclass(frozen=True, slots=True)
class CarriedPending:
    """The VEN's pending message an answer carries: if the answer cannot be given, it goes back in the queue."""

    ven_id: str
    pending_id: int


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    carries: CarriedPending | None = None


def oadr_error(http_status: int, code: int, description: str, ven_id: str | None = None, **headers: str) -> HttpAnswer:
    """An oadrResponse carrying an OpenADR error code, with the given HTTP status."""
    message = Response(
        response=EiResponse(response_code=code, response_description=description[:500], request_id=None), ven_id=ven_id
    )
    return HttpAnswer(http_status, encode(message), headers)


def message_answer(message: VtnMessage) -> HttpAnswer:
    return HttpAnswer(200, encode(message))


def is_error(message: VtnMessage) -> bool:
    response = getattr(message, "response", None)
    return response is not None and response.response_code >= 300


SERVICE_UNAVAILABLE_RETRY_AFTER = "5"


def service_unavailable(description: str) -> HttpAnswer:
    return oadr_error(
        503, ResponseCode.SERVICE_UNAVAILABLE, description, **{"Retry-After": SERVICE_UNAVAILABLE_RETRY_AFTER}
    )
