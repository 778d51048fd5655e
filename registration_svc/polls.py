"""oadrPoll: hand the VEN its next pending message, or say there is nothing (an answer the gateway may cache)."""

from __future__ import annotations

import asyncpg

from shared.db.connection import Conn

from registration_svc import replies, store
from registration_svc.ven_requests import publish_registration_event
from registration_svc.records import VenStatus
from shared.contract.backend_events import RegistrationChange
from shared.contract.envelope import Envelope
from shared.contract.ven_traffic import VenReply, VenRequest
from shared.db import pending
from shared.oadr.common import ResponseCode
from shared.oadr.registration import CancelPartyRegistration, Poll


async def handle_poll(conn: Conn, envelope: Envelope) -> VenReply | None:
    request = envelope.payload
    if not isinstance(request, VenRequest) or not isinstance(request.message, Poll):
        return None
    ven_id = request.message.ven_id
    record = await store.by_ven_id(conn, ven_id)
    if record is None:
        return VenReply(message=replies.response(ResponseCode.INVALID_ID, "unknown venID", ven_id), cacheable=True)
    if not record.is_registered:
        return VenReply(
            message=replies.response(ResponseCode.NOT_REGISTERED_OR_AUTHORIZED, "VEN is not registered", ven_id),
            cacheable=True,
        )
    next_message = await pending.take_next(conn, ven_id)
    if next_message is None:
        return VenReply(message=replies.response(ResponseCode.OK, "OK", ven_id), cacheable=True)
    if isinstance(next_message.message, CancelPartyRegistration):
        # Once told, the VEN is no longer registered, whether or not it acknowledges.
        await store.set_status(conn, ven_id, VenStatus.CANCELLED)
        await publish_registration_event(
            conn, RegistrationChange.CANCELLED, ven_id, record.ven_name, record.registration_id
        )
    return VenReply(message=next_message.message)
