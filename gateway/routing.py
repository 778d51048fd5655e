"""Which messages each OpenADR service endpoint accepts, and which topic handles them."""

from __future__ import annotations

from dataclasses import dataclass

from shared import topics

OADR_PATH_PREFIX = "/OpenADR2/Simple/2.0b"


@dataclass(frozen=True)
class Route:
    service: str
    topic: str
    message_types: frozenset[str]


_ROUTES = (
    Route(
        "EiRegisterParty",
        topics.REGISTRATION_REQUESTS,
        frozenset(
            {
                "oadrQueryRegistration",
                "oadrCreatePartyRegistration",
                "oadrCancelPartyRegistration",
                "oadrCanceledPartyRegistration",
                "oadrResponse",
            }
        ),
    ),
    Route("OadrPoll", topics.POLL_REQUESTS, frozenset({"oadrPoll"})),
    Route("EiEvent", topics.EVENT_REQUESTS, frozenset({"oadrRequestEvent", "oadrCreatedEvent"})),
    Route(
        "EiReport",
        topics.REPORT_REQUESTS,
        frozenset(
            {
                "oadrRegisterReport",
                "oadrRegisteredReport",
                "oadrCreateReport",
                "oadrCreatedReport",
                "oadrUpdateReport",
                "oadrUpdatedReport",
                "oadrCancelReport",
                "oadrCanceledReport",
                "oadrResponse",
            }
        ),
    ),
    Route("EiOpt", topics.OPT_REQUESTS, frozenset({"oadrCreateOpt", "oadrCancelOpt"})),
)

ROUTES_BY_SERVICE: dict[str, Route] = {route.service: route for route in _ROUTES}
SERVICES = tuple(ROUTES_BY_SERVICE)
