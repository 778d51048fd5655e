"""EiRegisterParty: what the VTN does with each registration message a VEN sends.

Every registrationID a message names must be the speaking VEN's (shared.ven_identity: with client
certificates, the VEN its certificate is bound to); another VEN's is answered as an unknown one (452).
Acknowledgements (oadrCanceledPartyRegistration, oadrResponse) count only for what the VTN sent that VEN.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from registration_svc import replies, store
from registration_svc.acknowledgements import acknowledged_cancel
from registration_svc.policy import Accepted, Refused, RegistrationPolicy
from registration_svc.records import VenRecord, VenStatus
from shared import topics
from shared.contract.backend_events import RegistrationChange, RegistrationEvent
from shared.contract.envelope import Envelope, utcnow
from shared.contract.ven_traffic import RequestContext, VenReply, VenRequest
from shared.db import outbox, pending
from shared.db.connection import Conn
from shared.db.vens import speaker_of
from shared.oadr.common import EiResponse, ResponseCode
from shared.oadr.profiles import OadrProfile
from shared.oadr.registration import (
    PROFILE_20B,
    TRANSPORT_SIMPLE_HTTP,
    TRANSPORT_XMPP,
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    QueryRegistration,
    Response,
)
from shared.plugins import call_handler
from shared.push_addresses import AddressRefused, PushAddressPolicy, parse_push_address
from shared.ven_identity import SpeakerRefused
from shared.xmpp_addresses import xmpp_domain_of, xmpp_registration_refusal

log = logging.getLogger(__name__)

# Requests whose answer is the registration the VEN asked for: stale once the gateway stopped waiting.
ANSWERED_BY_DELIVERY = frozenset({"oadrQueryRegistration", "oadrCreatePartyRegistration"})


@dataclass(frozen=True)
class RegistrationConfig:
    vtn_id: str
    poll_interval: timedelta
    policy: RegistrationPolicy
    on_cancel_party_registration: Callable[..., Any] | None = None
    push_addresses: PushAddressPolicy | None = None  # None: no push registration is accepted
    xmpp_address: str | None = None  # the VTN's JID; None: no registration over XMPP is accepted

    def poll_freq_for(self, pushed: bool) -> timedelta | None:
        """oadrRequestedOadrPollFreq is for the pull model only (2.0b schema): a push or XMPP VEN gets none."""
        return None if pushed else self.poll_interval

    @property
    def transports(self) -> frozenset[str]:
        return frozenset({TRANSPORT_SIMPLE_HTTP, TRANSPORT_XMPP} if self.xmpp_address else {TRANSPORT_SIMPLE_HTTP})

    def answer(
        self, response: EiResponse, pushed: bool = False, ven_id: str | None = None, registration_id: str | None = None
    ) -> CreatedPartyRegistration:
        """oadrCreatedPartyRegistration: the profiles and transports offered, the poll frequency for a polling
        VEN, the VTN's XMPP address when it serves XMPP."""
        return replies.created_party_registration(
            response, self.vtn_id, self.poll_freq_for(pushed), ven_id, registration_id, self.xmpp_address
        )


def transport_refusal(
    message: CreatePartyRegistration, config: RegistrationConfig, fingerprint: str | None
) -> str | None:
    """Why the VTN cannot reach a VEN the way it registers: over XMPP at the JID it gives, or by HTTP push at
    the address it gives (None: it can, or the VEN polls)."""
    if message.over_xmpp:
        domain = xmpp_domain_of(config.xmpp_address) if config.xmpp_address else None
        return xmpp_registration_refusal(message.transport_address, fingerprint, domain)
    return push_refusal(message, config.push_addresses)


def push_refusal(message: CreatePartyRegistration, addresses: PushAddressPolicy | None) -> str | None:
    """Why the VTN cannot push to a VEN registering in the push model (None: it can, or the VEN pulls)."""
    if not message.pushed:
        return None
    if addresses is None:
        return "this VTN serves the pull model only (oadrHttpPullModel true)"
    try:
        addresses.check_address(parse_push_address(message.transport_address))
    except AddressRefused as refused:
        return str(refused)
    return None


async def publish_registration_event(
    conn: Conn,
    change: RegistrationChange,
    ven_id: str,
    ven_name: str | None,
    registration_id: str | None,
    registration: CreatePartyRegistration | None = None,
    *,
    profile_name: str = OadrProfile.B,
    http_pull_model: bool | None = None,
    transport_address: str | None = None,
    transport_name: str | None = None,
) -> None:
    """The fact for backends (with the exchange model the VEN chose when it (re)registered, or the one it was
    provisioned with: `http_pull_model`, `transport_address`, `transport_name`), and the notice that drops the
    gateways' cached answers for the VEN (and wakes its pusher or XMPP connector if it is a push or XMPP VEN)."""
    if registration is not None:
        http_pull_model = None if registration.over_xmpp else not registration.pushed
        transport_address, transport_name = registration.transport_address, registration.transport_name
    event = RegistrationEvent(
        change=change,
        ven_id=ven_id,
        ven_name=ven_name,
        registration_id=registration_id,
        occurred_at=utcnow(),
        http_pull_model=http_pull_model,
        transport_address=transport_address,
        transport_name=transport_name,
        profile_name=OadrProfile(profile_name),
    )
    await outbox.add(conn, topics.REGISTRATION_EVENTS, Envelope(ven_id=ven_id, payload=event))
    await pending.notify_ven_changed(conn, ven_id, f"registration {change.value}")


async def certificate_conflict(conn: Conn, ven_id: str, fingerprint: str | None) -> str | None:
    """Why the certificate `fingerprint` may not act as `ven_id`: the venID is bound to another certificate,
    or the certificate to another venID. None when it may (always, without TLS)."""
    if fingerprint is None:
        return None
    record = await store.by_ven_id(conn, ven_id)
    if record is not None and record.fingerprint is not None and record.fingerprint != fingerprint:
        return "venID belongs to another certificate"
    holder = await store.by_fingerprint(conn, fingerprint)
    if holder is not None and holder.ven_id != ven_id:
        return "this certificate is registered with another venID"
    return None


class RegisterPartyHandler:
    def __init__(self, config: RegistrationConfig) -> None:
        self._config = config

    async def __call__(self, conn: Conn, envelope: Envelope) -> VenReply | None:
        request = envelope.payload
        if not isinstance(request, VenRequest):
            return None
        message = request.message
        if isinstance(message, QueryRegistration):
            return VenReply(message=await self._query(conn, message, request.context))
        if (
            isinstance(message, CreatePartyRegistration)
            and message.transport_name in self._config.transports
            and (refusal := transport_refusal(message, self._config, request.context.fingerprint))
        ):
            log.info("registration refused", extra={"action": "registration_refused", "reason": refusal})
            return VenReply(
                message=self._config.answer(replies.error(ResponseCode.INVALID_DATA, refusal, message.request_id))
            )
        if isinstance(message, CreatePartyRegistration):
            return VenReply(message=await self._create(conn, message, request.context))
        if isinstance(message, CancelPartyRegistration):
            return VenReply(message=await self._cancel(conn, message, request.context))
        if isinstance(message, CanceledPartyRegistration):
            return VenReply(message=await self._canceled(conn, message, request.context))
        if isinstance(message, Response):
            return VenReply(message=await self._acknowledged(conn, message, request.context))
        return VenReply(
            message=replies.response(
                ResponseCode.BAD_REQUEST, f"{message.message_type} is not an EiRegisterParty message", None
            )
        )

    async def _query(self, conn: Conn, message: QueryRegistration, context: RequestContext) -> CreatedPartyRegistration:
        known = await store.by_fingerprint(conn, context.fingerprint) if context.fingerprint else None
        if known is not None and known.in_force:
            return self._config.answer(
                replies.ok(message.request_id),
                not known.polls,
                ven_id=known.ven_id,
                registration_id=known.registration_id,
            )
        return self._config.answer(replies.ok(message.request_id))

    async def _create(
        self, conn: Conn, message: CreatePartyRegistration, context: RequestContext
    ) -> CreatedPartyRegistration:
        config = self._config
        if message.profile_name != PROFILE_20B or message.transport_name not in config.transports:
            offered = " and ".join(sorted(config.transports))
            return config.answer(
                replies.error(
                    ResponseCode.NOT_ALLOWED_BY_PROFILE,
                    f"this VTN offers profile 2.0b over {offered}",
                    message.request_id,
                )
            )
        if message.registration_id is not None:
            return await self._reregister(conn, message, context)
        decision = await config.policy.decide(conn, message, context.fingerprint)
        if isinstance(decision, Accepted) and (
            conflict := await certificate_conflict(conn, decision.ven_id, context.fingerprint)
        ):
            decision = Refused(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, conflict)
        if not isinstance(decision, Accepted):
            log.info("registration refused", extra={"action": "registration_refused", "reason": decision.reason})
            return config.answer(replies.error(decision.response_code, decision.reason, message.request_id))
        existing = await store.by_ven_id(conn, decision.ven_id, lock=True)
        await store.save_registration(conn, decision.ven_id, decision.registration_id, message, context.fingerprint)
        change = (
            RegistrationChange.REREGISTERED
            if existing is not None and existing.registration_id
            else RegistrationChange.CREATED
        )
        await publish_registration_event(
            conn, change, decision.ven_id, message.ven_name, decision.registration_id, message
        )
        log.info(
            "ven registered",
            extra={"action": "ven_registered", "registered_ven": decision.ven_id, "push": message.pushed,
                   "transport": message.transport_name},
        )  # fmt: skip
        return config.answer(
            replies.ok(message.request_id),
            not message.polls,
            ven_id=decision.ven_id,
            registration_id=decision.registration_id,
        )

    async def _reregister(
        self, conn: Conn, message: CreatePartyRegistration, context: RequestContext
    ) -> CreatedPartyRegistration:
        config = self._config
        assert message.registration_id is not None
        record = await registration_of_speaker(conn, message.registration_id, message.ven_id, context)
        if not isinstance(record, VenRecord) or not record.in_force:
            code, reason = _refusal(record)
            return config.answer(replies.error(code, reason, message.request_id))
        await store.save_registration(conn, record.ven_id, message.registration_id, message, context.fingerprint)
        await publish_registration_event(
            conn, RegistrationChange.REREGISTERED, record.ven_id, message.ven_name, message.registration_id, message
        )
        return config.answer(
            replies.ok(message.request_id),
            not message.polls,
            ven_id=record.ven_id,
            registration_id=message.registration_id,
        )

    async def _cancel(
        self, conn: Conn, message: CancelPartyRegistration, context: RequestContext
    ) -> CanceledPartyRegistration:
        record = await registration_of_speaker(conn, message.registration_id, message.ven_id, context)
        if not isinstance(record, VenRecord) or not record.in_force:
            code, reason = _refusal(record)
            return CanceledPartyRegistration(
                response=replies.error(code, reason, message.request_id),
                registration_id=message.registration_id,
                ven_id=message.ven_id,
            )
        if self._config.on_cancel_party_registration is not None:
            await call_handler(self._config.on_cancel_party_registration, message.model_dump(exclude={"message_type"}))
        await store.set_status(conn, record.ven_id, VenStatus.CANCELLED)
        await publish_registration_event(
            conn,
            RegistrationChange.CANCELLED,
            record.ven_id,
            record.ven_name,
            record.registration_id,
            profile_name=record.profile_name,
        )
        return CanceledPartyRegistration(
            response=replies.ok(message.request_id), registration_id=message.registration_id, ven_id=record.ven_id
        )

    async def _canceled(self, conn: Conn, message: CanceledPartyRegistration, context: RequestContext) -> Response:
        """The VEN acknowledges a cancel the VTN sent it (and only then: another VEN's, or one never sent, is 452)."""
        speaker = await speaker_of(conn, message.ven_id, context)
        if isinstance(speaker, SpeakerRefused):
            return replies.response(speaker.response_code, speaker.description, message.ven_id)
        ven_id = speaker.ven_id
        if ven_id is None and message.registration_id:  # no certificate, no venID: the registrationID names the VEN
            named = await store.by_registration_id(conn, message.registration_id)
            ven_id = named.ven_id if named is not None else None
        sent = (
            []
            if ven_id is None
            else await pending.sent_to(
                conn, ven_id, {"oadrCancelPartyRegistration"}, message.response.request_id or None
            )
        )
        cancel = acknowledged_cancel([m for m in sent if isinstance(m, CancelPartyRegistration)], message)
        if ven_id is None or cancel is None:
            return replies.response(ResponseCode.INVALID_ID, NO_SUCH_CANCEL, message.ven_id)
        record = await store.by_ven_id(conn, ven_id, lock=True)
        not_registered_anew = record is not None and record.registration_id == cancel.registration_id
        if record is not None and not_registered_anew and record.in_force:
            await store.set_status(conn, record.ven_id, VenStatus.CANCELLED)
            await publish_registration_event(
                conn,
                RegistrationChange.CANCELLED,
                record.ven_id,
                record.ven_name,
                record.registration_id,
                profile_name=record.profile_name,
            )
        return replies.response(ResponseCode.OK, "OK", ven_id)

    async def _acknowledged(self, conn: Conn, message: Response, context: RequestContext) -> Response:
        """oadrResponse on EiRegisterParty acknowledges an oadrRequestReregistration the VTN sent this VEN."""
        speaker = await speaker_of(conn, message.ven_id, context)
        if isinstance(speaker, SpeakerRefused):
            return replies.response(speaker.response_code, speaker.description, message.ven_id)
        if speaker.ven_id is None or not await pending.sent_to(conn, speaker.ven_id, {"oadrRequestReregistration"}):
            return replies.response(ResponseCode.INVALID_ID, NO_REREGISTRATION_REQUEST, message.ven_id)
        return replies.response(ResponseCode.OK, "OK", speaker.ven_id)


UNKNOWN_REGISTRATION = "unknown registrationID or venID"
NO_SUCH_CANCEL = "no oadrCancelPartyRegistration with this requestID and registrationID was sent to this VEN"
NO_REREGISTRATION_REQUEST = "no oadrRequestReregistration was sent to this VEN"


def _refusal(found: VenRecord | SpeakerRefused | None) -> tuple[int, str]:
    """Why a registration was not found for the speaker: the same 452 whether it is unknown, another VEN's or
    no longer in force, so that the answer reveals nothing about other VENs."""
    if isinstance(found, SpeakerRefused):
        return found.response_code, found.description
    return ResponseCode.INVALID_ID, UNKNOWN_REGISTRATION


async def registration_of_speaker(
    conn: Conn, registration_id: str, ven_id: str | None, context: RequestContext
) -> VenRecord | SpeakerRefused | None:
    """The registration `registration_id` (locked) when it is the speaking VEN's; None when it is unknown or
    another VEN's. Without a certificate the registrationID and the venID, when given, must agree."""
    speaker = await speaker_of(conn, ven_id, context)
    if isinstance(speaker, SpeakerRefused):
        return speaker
    record = await store.by_registration_id(conn, registration_id)
    if record is None or (speaker.ven_id is not None and record.ven_id != speaker.ven_id):
        return None
    return record
