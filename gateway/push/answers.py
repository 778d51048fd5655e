"""What a push VEN may answer, and what the VTN does with the answer. Pure: no I/O.

OpenADR 2.0b simple HTTP, push model: the VTN POSTs a message to the VEN's endpoint for the service it
belongs to, and the VEN's HTTP response carries its answer:

    pushed                          service            the VEN answers
    oadrDistributeEvent             EiEvent            oadrResponse (its oadrCreatedEvent follows as a request)
    oadrCreateReport                EiReport           oadrCreatedReport
    oadrCancelReport                EiReport           oadrCanceledReport
    oadrRegisterReport              EiReport           oadrRegisteredReport
    oadrUpdateReport                EiReport           oadrUpdatedReport
    oadrCreatedReport, oadrCanceledReport (the VTN's answers to requests piggy-backed on earlier answers)
                                    EiReport           oadrResponse
    oadrCancelPartyRegistration     EiRegisterParty    oadrCanceledPartyRegistration
    oadrRequestReregistration       EiRegisterParty    oadrResponse

An oadrResponse is accepted as the answer to anything (a VEN's plain acknowledgement, or its error); a VEN
that answers an event set with its oadrCreatedEvent at once is taken at its word too. Any other message is no
answer (the push is retried). An answer the service of that endpoint handles from a VEN is handed to it, as
if the VEN had sent it in a request; an oadrResponse to an event set concerns no service. An answer with an
OpenADR error code is still the VEN's answer (the message reached it; resending would not change its mind),
except 503, which asks to be asked again later.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.push.deliverer import DeliveryFailed
from gateway.routing import ROUTES_BY_SERVICE
from shared.oadr.common import ResponseCode
from shared.oadr.messages import VenMessage, VtnMessage

EVENT_SERVICE = "EiEvent"
REPORT_SERVICE = "EiReport"
REGISTRATION_SERVICE = "EiRegisterParty"

_SERVICE_OF = {
    "oadrDistributeEvent": EVENT_SERVICE,
    "oadrCreatedOpt": "EiOpt",
    "oadrCanceledOpt": "EiOpt",
    "oadrCancelPartyRegistration": REGISTRATION_SERVICE,
    "oadrCanceledPartyRegistration": REGISTRATION_SERVICE,
    "oadrRequestReregistration": REGISTRATION_SERVICE,
    "oadrCreatedPartyRegistration": REGISTRATION_SERVICE,
    "oadrResponse": REGISTRATION_SERVICE,
}
_EXPECTED_ANSWER = {
    "oadrCreateReport": "oadrCreatedReport",
    "oadrCancelReport": "oadrCanceledReport",
    "oadrRegisterReport": "oadrRegisteredReport",
    "oadrUpdateReport": "oadrUpdatedReport",
    "oadrCancelPartyRegistration": "oadrCanceledPartyRegistration",
}
_ALSO_ACCEPTED = {"oadrDistributeEvent": frozenset({"oadrCreatedEvent"})}
GENERIC_ANSWER = "oadrResponse"


def service_of(message: VtnMessage) -> str:
    """The simple-HTTP service (endpoint) a pushed message goes to."""
    return _SERVICE_OF.get(message.message_type, REPORT_SERVICE)


def expected_answer(message: VtnMessage) -> str:
    return _EXPECTED_ANSWER.get(message.message_type, GENERIC_ANSWER)


@dataclass(frozen=True)
class Verdict:
    """The VEN answered: hand the answer to `service`'s owner (None: to nobody), and the error it gave, if any."""

    hand_to: str | None
    ven_error: str | None


def judge(pushed: VtnMessage, answer: VenMessage) -> Verdict:
    """What the VEN's answer to `pushed` means; raises DeliveryFailed when it is no answer to it."""
    answer_type = answer.message_type
    accepted = {expected_answer(pushed), GENERIC_ANSWER} | _ALSO_ACCEPTED.get(pushed.message_type, frozenset())
    if answer_type not in accepted:
        raise DeliveryFailed(
            "bad_answer", f"{answer_type} is no answer to {pushed.message_type} (expected {expected_answer(pushed)})"
        )
    response = getattr(answer, "response", None)
    code = getattr(response, "response_code", ResponseCode.OK)
    if code == ResponseCode.SERVICE_UNAVAILABLE:
        raise DeliveryFailed("ven_busy", f"the VEN answered {answer_type} with 503")
    ven_error = None if code < 300 else f"{code} {getattr(response, 'response_description', '') or ''}".strip()
    service = service_of(pushed)
    if answer_type == "oadrCreatedEvent":
        service = EVENT_SERVICE
    route = ROUTES_BY_SERVICE.get(service)
    hand_to = service if route is not None and answer_type in route.message_types else None
    return Verdict(hand_to=hand_to, ven_error=ven_error)
