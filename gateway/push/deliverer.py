"""The edge contract of the pusher: how to hand one message to one VEN, and what can go wrong.

A `VenDeliverer` takes a VTN message and a VEN and returns the VEN's answer, decoded and checked, or raises
`DeliveryFailed`. Everything above it (queue order, retries, presence, handing answers to services) knows
nothing of HTTP or XML, so another way to reach VENs (XMPP, OpenADR 2.0a push) is another deliverer.

    DeliveryFailed            base: the VEN did not (verifiably) get the message; always retried
    ├── kind "address_refused"   the transport address is not one the VTN may push to (SSRF rules)
    ├── kind "connect"           no connection (refused, unreachable, DNS)
    ├── kind "tls"               handshake failed, or the VEN's certificate is not the one bound to its venID
    ├── kind "timeout"           no complete answer within VTN_PUSH_TIMEOUT_SECONDS
    ├── kind "http_error"        an HTTP status other than 2xx, or a broken HTTP answer
    ├── kind "too_large"         an answer above VTN_PUSH_MAX_ANSWER_BYTES
    ├── kind "bad_answer"        not an OpenADR document, invalid against the schema, or not an answer to it
    ├── kind "security_refused"  a signature, replay or venID check failed on the answer
    ├── kind "ven_busy"          the VEN answered 503: try again later
    └── kind "not_in_profile"    the message has no form in the VEN's profile (a 2.0a VEN takes event sets only)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.contract.ven_traffic import RequestContext
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.messages import VenMessage, VtnMessage
from shared.oadr.profiles import OadrProfile

FAILURE_KINDS = (
    "address_refused",
    "connect",
    "tls",
    "timeout",
    "http_error",
    "too_large",
    "bad_answer",
    "security_refused",
    "ven_busy",
    "not_in_profile",
)
# Failures no retry can mend: the message is settled without being sent (logged as an error and counted), so
# the VEN's later messages are not held behind it.
UNDELIVERABLE_KINDS = frozenset({"not_in_profile"})


class DeliveryFailed(Exception):
    """The message did not verifiably reach the VEN; `kind` is one of FAILURE_KINDS (a metric label)."""

    def __init__(self, kind: str, detail: str) -> None:
        assert kind in FAILURE_KINDS, kind
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class PushTarget:
    """A push VEN as the database knows it: where it said to push, the certificate bound to its venID, and its
    OpenADR profile (2.0a VENs get 2.0a documents at their 2.0a endpoint)."""

    ven_id: str
    transport_address: str | None
    fingerprint: str | None
    profile: OadrProfile = OadrProfile.B


@dataclass(frozen=True)
class VenAnswer:
    """The VEN's synchronous answer, checked like a request: the message, and what the transport established
    about the sender (certificate fingerprint, address, whether it was signed)."""

    message: VenMessage
    context: RequestContext


class VenDeliverer(Protocol):
    async def deliver(
        self, target: PushTarget, message: VtnMessage, shared_set: SharedEventSet | None = None
    ) -> VenAnswer:
        """Hand `message` to the VEN and return its answer; raise DeliveryFailed when that did not happen.
        `shared_set`: the event set `message` is the VEN's copy of, when the caller knows it
        (gateway.push.documents writes the copy from the set's one rendering)."""

    async def close(self) -> None:
        """Release connections and other resources."""
