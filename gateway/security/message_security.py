"""The gateway's security checks on each VEN message, and the signature on each answer.

    decoded document -> [signature: verify, signer = TLS peer, use only the signed message, replay check]
                     -> [venID bound to the TLS certificate] -> message for the services

A 2.0a request (its profile has no XML signatures) goes through the certificate and binding checks only, so
a VTN that requires signed 2.0b messages still serves 2.0a VENs; its answers are never signed.

Every refusal is an oadrResponse with 463 (not registered or authorized) and a description that says
why, counted by reason in `refusals` and logged with action `security_refused` at a bounded rate
(gateway.refusals). Nothing refused reaches Kafka, so nothing of it is stored.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from dataclasses import dataclass

from lxml import etree

from gateway.answers import HttpAnswer, oadr_error, service_unavailable
from gateway.refusals import SecurityRefusals
from gateway.security.replay import ReplayGuard, ReplayRefused
from gateway.security.signatures import (
    SIGNED_OBJECT,
    MessageSigner,
    SignatureInvalid,
    SignatureOutsideProfile,
    SignatureVerifier,
    SignedContent,
    signature_of,
)
from gateway.security.ven_identity import FingerprintSource, check_claim
from shared.contract.ven_traffic import RequestContext
from shared.oadr.common import ResponseCode
from shared.oadr.messages import VenMessage
from shared.oadr.profiles import OadrProfile
from shared.oadr_xml.codec import PAYLOAD, InboundDocument, decode, to_bytes
from shared.oadr_xml.errors import OadrXmlError
from shared.oadr_xml.namespaces import OADR

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Admitted:
    message: VenMessage
    context: RequestContext


@dataclass(frozen=True)
class SecurityPolicy:
    require_client_certificate: bool = False
    verify_signatures: bool = True
    require_signatures: bool = False


class MessageSecurity:
    def __init__(
        self,
        policy: SecurityPolicy,
        schema: etree.XMLSchema | None,
        replay: ReplayGuard | None = None,
        fingerprints: FingerprintSource | None = None,
        signer: MessageSigner | None = None,
        refusals: SecurityRefusals | None = None,
    ) -> None:
        if policy.verify_signatures and replay is None:
            raise ValueError("verifying signatures needs a replay guard")
        self._policy = policy
        self._schema = schema
        self._verifier = SignatureVerifier()
        self._replay = replay
        self._fingerprints = fingerprints
        self._signer = signer
        self._refusals = refusals or SecurityRefusals()

    @property
    def refusals(self) -> Counter[str]:
        return self._refusals.counts

    async def admit(self, document: InboundDocument, context: RequestContext) -> Admitted | HttpAnswer:
        message = document.message
        ven_id = getattr(message, "ven_id", None)
        if self._policy.require_client_certificate and context.fingerprint is None:
            return self._refuse("no_client_certificate", "a client certificate is required", ven_id, context.profile)
        if context.profile is OadrProfile.A:
            # 2.0a has no XML signatures: a 2.0a VEN is known by its TLS client certificate alone.
            return await self._bound(message, context, ven_id)
        signed = False
        try:
            signature = signature_of(document.root)
        except SignatureInvalid as exc:
            return self._refuse("signature_invalid", str(exc), ven_id)
        if signature is None:
            if self._policy.require_signatures:
                return self._refuse("unsigned", "this VTN requires signed messages (XML signature)", ven_id)
        elif self._policy.verify_signatures:
            verified = await self._verified(document, signature, context, ven_id)
            if isinstance(verified, HttpAnswer):
                return verified
            message, signed = verified, True
        if signed:
            context = context.model_copy(update={"signed": True})
        return await self._bound(message, context, ven_id)

    async def _bound(self, message: VenMessage, context: RequestContext, ven_id: str | None) -> Admitted | HttpAnswer:
        """Admitted when the message's venID is bound to the TLS client certificate that sent it."""
        if context.fingerprint is not None and self._fingerprints is not None and ven_id is not None:
            try:
                bound = await self._fingerprints.fingerprint_of(ven_id)
            except Exception:
                log.exception("fingerprint look-up failed", extra={"action": "fingerprint_lookup_failed"})
                return service_unavailable(
                    "the VTN could not check the VEN's certificate; retry later", context.profile
                )
            refused = check_claim(message, context.fingerprint, bound)
            if refused is not None:
                reason = "ven_id_of_another_certificate" if bound is not None else "ven_id_not_bound"
                return self._refuse(reason, refused.reason, ven_id, context.profile)
        return Admitted(message, context)

    async def _verified(
        self, document: InboundDocument, signature: etree._Element, context: RequestContext, ven_id: str | None
    ) -> VenMessage | HttpAnswer:
        assert self._replay is not None
        try:
            content = self._verifier.verify(document.root, signature)
        except SignatureOutsideProfile as exc:
            return self._refuse("signature_outside_profile", str(exc), ven_id)
        except SignatureInvalid as exc:
            return self._refuse("signature_invalid", str(exc), ven_id)
        if context.fingerprint is not None and content.signer_fingerprint != context.fingerprint:
            return self._refuse(
                "signer_not_client",
                f"the message is signed by {content.signer_fingerprint}, not by the TLS client certificate",
                ven_id,
            )
        signed_message = self._signed_message(document, content)
        if isinstance(signed_message, str):
            return self._refuse("signature_invalid", signed_message, ven_id)
        if signed_message != document.message:
            return self._refuse("signature_wrapping", "the message shown is not the message signed", ven_id)
        try:
            await self._replay.admit(content.signer_fingerprint, content.nonce, content.timestamp)
        except ReplayRefused as exc:
            return self._refuse("replay", str(exc), ven_id)
        except Exception:  # the nonce store (PostgreSQL) is unreachable: neither accept nor refuse
            log.exception("nonce store failed", extra={"action": "nonce_store_failed"})
            return service_unavailable("the VTN could not check the message's nonce; retry later")
        return signed_message

    def _signed_message(self, document: InboundDocument, content: SignedContent) -> VenMessage | str:
        """The message as signed (or why the signed content is no message).

        Fast path: the shown oadrSignedObject canonicalizes to exactly the signed bytes, so the message
        already decoded from it is the signed one. Otherwise (another canonicalization, or a wrapping attack)
        the message is decoded from the signed bytes alone, for the caller to compare.
        """
        shown = document.root.find(SIGNED_OBJECT)
        if shown is not None and etree.tostring(shown, method="c14n") == content.signed_bytes:
            return document.message
        payload = etree.Element(PAYLOAD, nsmap={"oadr": OADR})
        payload.append(content.signed_object)
        try:
            return decode(to_bytes(payload), self._schema).message
        except OadrXmlError as exc:
            return f"the signed content is not a valid message: {exc}"

    def seal(self, answer: HttpAnswer) -> HttpAnswer:
        """The answer signed with the VTN's key, when one is configured (2.0b answers only: the caller's)."""
        if self._signer is None:
            return answer
        return dataclasses.replace(answer, body=self._signer.sign(answer.body))

    def sign(self, document: bytes) -> bytes:
        """A message the VTN sends of its own (a push) signed with its key, when one is configured."""
        return document if self._signer is None else self._signer.sign(document)

    def _refuse(
        self, reason: str, description: str, ven_id: str | None, profile: OadrProfile = OadrProfile.B
    ) -> HttpAnswer:
        self._refusals.note(reason, description)
        return oadr_error(200, ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, description, ven_id, profile)
