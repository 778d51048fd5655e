"""Which messages each OpenADR service endpoint accepts, and which topic handles them.

2.0b VENs reach five services under `/OpenADR2/Simple/2.0b`; 2.0a VENs reach one, EiEvent, at
`/OpenADR2/Simple/EiEvent` (2.0a's service URLs have no profile segment), handled by the same event service.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import topics

OADR_PATH_PREFIX = "/OpenADR2/Simple/2.0b"
PROFILE_A_PATH = "/OpenADR2/Simple/EiEvent"


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

# 2.0a's one service: what a 2.0a VEN may send there.
PROFILE_A_ROUTE = Route("EiEvent", topics.EVENT_REQUESTS, frozenset({"oadrRequestEvent", "oadrCreatedEvent"}))

# Each endpoint's path and its label in the metrics.
ENDPOINTS: dict[str, str] = {
    **{f"{OADR_PATH_PREFIX}/{service}": service for service in SERVICES},
    PROFILE_A_PATH: "2.0a EiEvent",
}


def where_documents_go(found: str) -> str:
    """Where an OpenADR document of profile `found` sent to the other profile's endpoint belongs."""
    if found == "2.0a":
        return f"an OpenADR 2.0a document: 2.0a VENs send to {PROFILE_A_PATH}"
    return f"an OpenADR 2.0b document, at the OpenADR 2.0a endpoint: 2.0b VENs send to {OADR_PATH_PREFIX}/<service>"
