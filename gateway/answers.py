"""The HTTP answers the gateway gives: status, XML body, headers. Every body is an OpenADR document, in the
profile of the endpoint the request came to (2.0b by default, 2.0a at the 2.0a EiEvent endpoint)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.routing import where_documents_go
from shared.oadr.common import EiResponse, ResponseCode
from shared.oadr.messages import VtnMessage
from shared.oadr.profiles import OadrProfile
from shared.oadr.registration import Response
from shared.oadr_xml import codec
from shared.oadr_xml.errors import OadrXmlError, WrongProfile
from shared.oadr_xml.profile_a import codec as profile_a_codec

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


def encode_in(profile: OadrProfile, message: VtnMessage) -> bytes:
    """`message` as a document of `profile`."""
    return profile_a_codec.encode(message) if profile is OadrProfile.A else codec.encode(message)


def oadr_error(
    http_status: int,
    code: int,
    description: str,
    ven_id: str | None = None,
    profile: OadrProfile = OadrProfile.B,
    **headers: str,
) -> HttpAnswer:
    """An oadrResponse carrying an OpenADR error code, with the given HTTP status."""
    message = Response(
        response=EiResponse(response_code=code, response_description=description[:500], request_id=None), ven_id=ven_id
    )
    return HttpAnswer(http_status, encode_in(profile, message), headers)


def message_answer(message: VtnMessage, profile: OadrProfile = OadrProfile.B) -> HttpAnswer:
    return HttpAnswer(200, encode_in(profile, message))


def is_error(message: VtnMessage) -> bool:
    response = getattr(message, "response", None)
    return response is not None and response.response_code >= 300


SERVICE_UNAVAILABLE_RETRY_AFTER = "5"


def service_unavailable(description: str, profile: OadrProfile = OadrProfile.B) -> HttpAnswer:
    return oadr_error(
        503,
        ResponseCode.SERVICE_UNAVAILABLE,
        description,
        None,
        profile,
        **{"Retry-After": SERVICE_UNAVAILABLE_RETRY_AFTER},
    )


def refused_document(error: OadrXmlError, profile: OadrProfile = OadrProfile.B) -> HttpAnswer:
    """The answer to a document that cannot become a message; one of the other profile says where it goes."""
    description = where_documents_go(error.found) if isinstance(error, WrongProfile) else str(error)
    status = 200 if error.answer_in_oadr_response else error.http_status
    return oadr_error(status, ResponseCode.BAD_REQUEST, description, None, profile)
