"""EiRegisterParty: what the VTN does with each registration message a VEN sends."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

from shared.db.connection import Conn

from registration_svc import replies, store
from registration_svc.policy import Accepted, Refused, RegistrationPolicy
from registration_svc.records import VenStatus
from shared import topics
from shared.contract.backend_events import RegistrationChange, RegistrationEvent
from shared.contract.envelope import Envelope, utcnow
from shared.contract.ven_traffic import RequestContext, VenReply, VenRequest
from shared.db import outbox, pending
from shared.oadr.common import ResponseCode
from shared.oadr.profiles import OadrProfile
from shared.oadr.registration import (
    PROFILE_20B,
    TRANSPORT_SIMPLE_HTTP,
    CanceledPartyRegistration,
    CancelPartyRegistration,
    CreatedPartyRegistration,
    CreatePartyRegistration,
    QueryRegistration,
    Response,
)
from shared.plugins import call_handler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistrationConfig:
    vtn_id: str
    poll_interval: timedelta
    policy: RegistrationPolicy
    on_cancel_party_registration: Callable[..., Any] | None = None


async def publish_registration_event(
    conn: Conn,
    change: RegistrationChange,
    ven_id: str,
    ven_name: str | None,
    registration_id: str | None,
    profile_name: str = OadrProfile.B,
) -> None:
    event = RegistrationEvent(
        change=change,
        ven_id=ven_id,
        ven_name=ven_name,
        registration_id=registration_id,
        occurred_at=utcnow(),
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
        if isinstance(message, CreatePartyRegistration):
            return VenReply(message=await self._create(conn, message, request.context))
        if isinstance(message, CancelPartyRegistration):
            return VenReply(message=await self._cancel(conn, message, request.context))
        if isinstance(message, CanceledPartyRegistration):
            return VenReply(message=await self._canceled(conn, message))
        if isinstance(message, Response):
            return VenReply(message=replies.response(ResponseCode.OK, "OK", message.ven_id))
        return VenReply(
            message=replies.response(ResponseCode.BAD_REQUEST, f"{message.message_type} is not an EiRegisterParty message", None)
        )

    async def _query(self, conn: Conn, message: QueryRegistration, context: RequestContext) -> CreatedPartyRegistration:
        known = await store.by_fingerprint(conn, context.fingerprint) if context.fingerprint else None
        if known is not None and known.is_registered:
            return replies.created_party_registration(
                replies.ok(message.request_id), self._config.vtn_id, self._config.poll_interval,
                ven_id=known.ven_id, registration_id=known.registration_id,
            )
        return replies.created_party_registration(replies.ok(message.request_id), self._config.vtn_id, self._config.poll_interval)

    async def _create(self, conn: Conn, message: CreatePartyRegistration, context: RequestContext) -> CreatedPartyRegistration:
        config = self._config
        if message.profile_name != PROFILE_20B or message.transport_name != TRANSPORT_SIMPLE_HTTP:
            return replies.created_party_registration(
                replies.error(ResponseCode.NOT_ALLOWED_BY_PROFILE, "this VTN offers profile 2.0b over simpleHttp", message.request_id),
                config.vtn_id, config.poll_interval,
            )
        if message.registration_id is not None:
            return await self._reregister(conn, message, context)
        decision = await config.policy.decide(conn, message, context.fingerprint)
        if isinstance(decision, Accepted) and (conflict := await certificate_conflict(conn, decision.ven_id, context.fingerprint)):
            decision = Refused(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, conflict)
        if not isinstance(decision, Accepted):
            log.info("registration refused", extra={"action": "registration_refused", "reason": decision.reason})
            return replies.created_party_registration(
                replies.error(decision.response_code, decision.reason, message.request_id), config.vtn_id, config.poll_interval
            )
        existing = await store.by_ven_id(conn, decision.ven_id, lock=True)
        await store.save_registration(conn, decision.ven_id, decision.registration_id, message, context.fingerprint)
        change = RegistrationChange.REREGISTERED if existing is not None and existing.registration_id else RegistrationChange.CREATED
        await publish_registration_event(conn, change, decision.ven_id, message.ven_name, decision.registration_id)
        log.info("ven registered", extra={"action": "ven_registered", "registered_ven": decision.ven_id})
        return replies.created_party_registration(
            replies.ok(message.request_id), config.vtn_id, config.poll_interval,
            ven_id=decision.ven_id, registration_id=decision.registration_id,
        )

    async def _reregister(self, conn: Conn, message: CreatePartyRegistration, context: RequestContext) -> CreatedPartyRegistration:
        config = self._config
        assert message.registration_id is not None
        record = await store.by_registration_id(conn, message.registration_id)
        if record is None or not record.is_registered or (message.ven_id is not None and message.ven_id != record.ven_id):
            return replies.created_party_registration(
                replies.error(ResponseCode.INVALID_ID, "unknown registrationID or venID", message.request_id),
                config.vtn_id, config.poll_interval,
            )
        if conflict := await certificate_conflict(conn, record.ven_id, context.fingerprint):
            return replies.created_party_registration(
                replies.error(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, conflict, message.request_id),
                config.vtn_id, config.poll_interval,
            )
        await store.save_registration(conn, record.ven_id, message.registration_id, message, context.fingerprint)
        await publish_registration_event(conn, RegistrationChange.REREGISTERED, record.ven_id, message.ven_name, message.registration_id)
        return replies.created_party_registration(
            replies.ok(message.request_id), config.vtn_id, config.poll_interval,
            ven_id=record.ven_id, registration_id=message.registration_id,
        )

    async def _cancel(self, conn: Conn, message: CancelPartyRegistration, context: RequestContext) -> CanceledPartyRegistration:
        record = await store.by_registration_id(conn, message.registration_id)
        if record is not None and (conflict := await certificate_conflict(conn, record.ven_id, context.fingerprint)):
            return CanceledPartyRegistration(
                response=replies.error(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, conflict, message.request_id),
                registration_id=message.registration_id,
                ven_id=message.ven_id,
            )
        if record is None or not record.is_registered or (message.ven_id is not None and message.ven_id != record.ven_id):
            return CanceledPartyRegistration(
                response=replies.error(ResponseCode.INVALID_ID, "unknown registrationID or venID", message.request_id),
                registration_id=message.registration_id,
                ven_id=message.ven_id,
            )
        if self._config.on_cancel_party_registration is not None:
            await call_handler(self._config.on_cancel_party_registration, message.model_dump(exclude={"message_type"}))
        await store.set_status(conn, record.ven_id, VenStatus.CANCELLED)
        await publish_registration_event(
            conn, RegistrationChange.CANCELLED, record.ven_id, record.ven_name, record.registration_id, record.profile_name
        )
        return CanceledPartyRegistration(
            response=replies.ok(message.request_id), registration_id=message.registration_id, ven_id=record.ven_id
        )

    async def _canceled(self, conn: Conn, message: CanceledPartyRegistration) -> Response:
        """The VEN acknowledges a cancel the VTN sent it."""
        record = await store.by_registration_id(conn, message.registration_id) if message.registration_id else None
        if record is None or (message.ven_id is not None and message.ven_id != record.ven_id):
            return replies.response(ResponseCode.INVALID_ID, "unknown registrationID or venID", message.ven_id)
        if record.status is not VenStatus.CANCELLED:
            await store.set_status(conn, record.ven_id, VenStatus.CANCELLED)
            await publish_registration_event(
                conn, RegistrationChange.CANCELLED, record.ven_id, record.ven_name, record.registration_id,
                record.profile_name,
            )
        return replies.response(ResponseCode.OK, "OK", record.ven_id)
