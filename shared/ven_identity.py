"""Which VEN a request speaks for: the rule the gateway and every service apply (pure, no I/O).

With client certificates, the certificate decides. A certificate is bound to at most one VEN (registration
binds it, or the operator provisions it); a request speaks for that VEN, and a venID it names must be that
VEN's. A request whose certificate is bound to no VEN speaks for none and may name nothing that belongs to
one: 463 (not registered or authorized), whatever it names. Without certificates (plain HTTP, development
only) there is nothing to check: the request's own venID is all there is.

The gateway checks a named venID against the binding on every request (gateway.security.ven_identity, cached); the
services apply the same rule from the VEN directory (shared.db.vens) to what they own: a request without a
venID, and every ID a request names (registrationID, reportRequestID, eventID, optID, the requestID of a
message the VTN sent), looked up among the speaking VEN's only. An ID of another VEN is answered exactly as
one that does not exist (452, the same text), so a VEN learns nothing about others.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.oadr.common import ResponseCode


@dataclass(frozen=True)
class SpeakerRefused:
    """A request that may speak for no VEN, or not for the one it names: the OpenADR code and why."""

    response_code: int
    description: str


CERTIFICATE_OF_NO_VEN = SpeakerRefused(
    ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "this client certificate is bound to no VEN: register first"
)


def not_bound(ven_id: str) -> SpeakerRefused:
    """One answer whether the venID is another certificate's or nobody's: it reveals neither."""
    return SpeakerRefused(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, f"venID {ven_id} is not bound to this certificate")


def certificate_speaker(named_ven_id: str | None, bound_ven_id: str | None) -> str | SpeakerRefused:
    """The VEN a request from a certificate bound to `bound_ven_id` (None: to no VEN) speaks for."""
    if bound_ven_id is None:
        return CERTIFICATE_OF_NO_VEN if named_ven_id is None else not_bound(named_ven_id)
    if named_ven_id is not None and named_ven_id != bound_ven_id:
        return not_bound(named_ven_id)
    return bound_ven_id
