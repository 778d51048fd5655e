"""OpenADR simple HTTP, push model: the deliverer that POSTs a message to `{transportAddress}/OpenADR2/
Simple/2.0b/{service}` and reads the VEN's answer from the HTTP response.

    message -> XML (signed with VTN_CERT/VTN_KEY when configured) -> POST (gateway.push.connections)
            -> answer: 2xx, hardened parse and 2.0b XSD, the gateway's security checks as for a request
               (signature by the TLS peer, replay, venID bound to the certificate), and the answer's venID
               must be the one pushed to

A 2.0a VEN (PushTarget.profile) gets its event set as a 2.0a document (gateway.profile_a_sets.push_document,
unsigned: 2.0a has no signatures) at `{transportAddress}/OpenADR2/Simple/EiEvent`, and its answer is read with
the 2.0a codec and schema; over HTTPS the TLS peer's certificate is the one bound to its venID, as for any push.
"""

from __future__ import annotations

from lxml import etree

from gateway.profile_a_sets import push_document
from gateway.push.answer_check import checked_answer
from gateway.push.answers import service_of
from gateway.push.connections import ConnectionPools, PushResponse
from gateway.push.deliverer import DeliveryFailed, PushTarget, VenAnswer
from gateway.push.documents import pushed_document
from gateway.security.message_security import MessageSecurity
from gateway.security.ven_identity import FingerprintSource
from shared.contract.ven_traffic import RequestContext
from shared.oadr.event import DistributeEvent
from shared.oadr.event_sets import SharedEventSet
from shared.oadr.messages import VtnMessage
from shared.oadr.profiles import OadrProfile
from shared.oadr_xml.errors import OadrXmlError
from shared.oadr_xml.profile_a.codec import decode_push_answer
from shared.oadr_xml.schema import SCHEMA_2_0A, load_schema
from shared.push_addresses import AddressRefused, PushAddressPolicy, parse_push_address


class HttpPushDeliverer:
    def __init__(
        self,
        connections: ConnectionPools,
        policy: PushAddressPolicy,
        schema: etree.XMLSchema,
        security: MessageSecurity | None,
        max_answer_bytes: int,
        timeout_seconds: float,
        fingerprints: FingerprintSource | None = None,
        profile_a_schema: etree.XMLSchema | None = None,
    ) -> None:
        self._connections = connections
        self._fingerprints = fingerprints  # the venID -> certificate bindings the gateway uses (handlers or directory)
        self._policy = policy
        self._schema = schema
        self._security = security
        self._max_answer_bytes = max_answer_bytes
        self._timeout = timeout_seconds
        self._profile_a_schema = profile_a_schema or load_schema(SCHEMA_2_0A)

    async def deliver(
        self, target: PushTarget, message: VtnMessage, shared_set: SharedEventSet | None = None
    ) -> VenAnswer:
        try:
            address = parse_push_address(target.transport_address)
            self._policy.check_address(address)
        except AddressRefused as refused:
            raise DeliveryFailed("address_refused", str(refused)) from None
        if target.profile is OadrProfile.A:
            body, path = self._profile_a_document(target, message), address.profile_a_path
        else:
            body = pushed_document(target.ven_id, message, shared_set)
            path = address.service_path(service_of(message))
            if self._security is not None:
                body = self._security.sign(body)
        bound = target.fingerprint
        if address.secure and self._fingerprints is not None:
            try:
                bound = await self._fingerprints.fingerprint_of(target.ven_id)
            except Exception as error:
                raise DeliveryFailed("tls", f"cannot look up the certificate bound to the venID: {error!r}") from None
        response = await self._connections.post(address, path, body, bound, self._max_answer_bytes, self._timeout)
        if not 200 <= response.status < 300:
            raise DeliveryFailed("http_error", f"HTTP {response.status}")
        if target.profile is OadrProfile.A:
            return self._profile_a_answer(target, response)
        context = RequestContext(fingerprint=response.peer_fingerprint, remote_addr=response.remote_ip)
        return await checked_answer(response.body, context, target.ven_id, self._schema, self._security)

    @staticmethod
    def _profile_a_document(target: PushTarget, message: VtnMessage) -> bytes:
        if not isinstance(message, DistributeEvent):
            raise DeliveryFailed("not_in_profile", f"a 2.0a VEN takes event sets only, not {message.message_type}")
        return push_document(target.ven_id, message)

    def _profile_a_answer(self, target: PushTarget, response: PushResponse) -> VenAnswer:
        try:
            answer = decode_push_answer(response.body, self._profile_a_schema)
        except OadrXmlError as error:
            raise DeliveryFailed("bad_answer", f"not a valid OpenADR 2.0a answer: {error}") from None
        answered_for = getattr(answer, "ven_id", None)
        if answered_for is not None and answered_for != target.ven_id:
            raise DeliveryFailed("security_refused", f"the answer speaks for venID {answered_for}, not {target.ven_id}")
        context = RequestContext(
            fingerprint=response.peer_fingerprint, remote_addr=response.remote_ip, profile=OadrProfile.A
        )
        return VenAnswer(answer, context)

    async def close(self) -> None:
        await self._connections.close()
